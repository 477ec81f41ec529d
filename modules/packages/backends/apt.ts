// apt/dpkg strategy. One probe for the whole list: one `dpkg-query -W` for every name, then
// `apt-cache policy` (about 0.5 s, so only when a candidate version is needed: state latest, or a
// name that is not installed), the index age, and `apt-get -s autoremove` when autoremove is asked.
// apply runs apt-get non-interactively, keeping changed config files (confdef/confold) and waiting
// up to lock_timeout for the dpkg lock; a lock still held turns into an error naming its holder.
import type { ApplyResult, Host } from "../../../engine/core/module.js";
import { CommandError, ModuleError } from "../../../engine/core/errors.js";
import { shJoin, shq } from "../../../engine/core/shell.js";
import { compareDebVersions } from "../../../engine/core/pkgversion.js";
import { lockError } from "../../../engine/core/aptlock.js";
import { lstatMtimes } from "../../../engine/core/prefetch.js";
import { outSection, sections, type PackageBackend, type PkgSpec, type PkgState } from "./types.js";
import { DEFAULT_DPKG_OPTIONS, dpkgOptionFlags, parseAptitudeSimulation, parseSimulation, withPolicyRcD } from "./apt-upgrade.js";

/** Written after a successful `apt-get update` (as Debian's apt.conf.d/15update-stamp does), read for cache_valid_time. */
export const APT_STAMP = "/var/lib/apt/periodic/update-success-stamp";
const APT_LISTS = "/var/lib/apt/lists";
/** The marker before the stamp's mtime that a refresh prints (stat -c's format), taken out of stdout. */
const CACHE_TIME = "keel-cache-time=";

const TAB = "\t";

export const apt: PackageBackend = {
  manager: "apt",
  cacheAge: true,
  purge: true,

  probeScript(specs, opts) {
    const names = shJoin(specs.map((s) => s.name));
    const lines = ["LC_ALL=C; export LC_ALL"];
    if (specs.length > 0) {
      lines.push(`q=$(${apt.queryCommand(specs.map((s) => s.name))} 2>/dev/null)`, outSection("dpkg", `printf '%s\\n' "$q"`));
      const release = opts.defaultRelease !== undefined ? ` -o APT::Default-Release=${shq(opts.defaultRelease)}` : "";
      const policy = outSection("policy", `apt-cache${release} policy ${names}`);
      // installed packages that provide other names (ruby provides rubygems): a virtual name is
      // installed when one of them provides it, as Ansible's apt reads it (package_status)
      const provides = outSection(
        "provides",
        `dpkg-query -W -f='\${db:Status-Abbrev}\\t\${binary:Package}\\t\${Version}\\t\${Provides}\\n' 2>/dev/null | awk -F'\\t' '$1 ~ /^.i/ && $4 != ""'`,
      );
      if (opts.candidates === "all") lines.push(policy, provides);
      else if (opts.candidates === "missing") {
        // Candidates are only needed for names that are not installed (status "?i?").
        // counted by the shell (awk -F'\t' '$3 ~ /^.i/' | wc -l was two processes on every host)
        lines.push(
          `n=0; _ka_t='${TAB}'`,
          `while IFS= read -r _ka_l; do case $_ka_l in *"$_ka_t"*"$_ka_t"*) _ka_l=\${_ka_l#*"$_ka_t"}; case \${_ka_l#*"$_ka_t"} in ?i*) n=$((n + 1)) ;; esac ;; esac; done <<KEEL_DPKG_Q`,
          "$q",
          "KEEL_DPKG_Q",
          `if [ "$n" -lt ${specs.length} ]; then`,
          policy,
          provides,
          "fi",
        );
      }
    }
    // "PATH MTIME" for each of the two that exists (the clock only for cache_valid_time): in a probe
    // batch from the batch's one stat (prefetch.ts), else one stat for both.
    const { hints, lines: mtimes } = lstatMtimes([APT_STAMP, APT_LISTS]);
    if (opts.needCacheAge) lines.push(...hints, outSection("cache", `echo "now $(date +%s)"; ${mtimes}`));
    else if (opts.needCacheTime) lines.push(...hints, outSection("cache", mtimes));
    if (opts.needUnneeded) lines.push(outSection("unneeded", "apt-get -s autoremove 2>/dev/null | awk '/^Remv /{print $2}'"));
    // the whole-system upgrade, simulated (read-only, no lock) with the flags apply will use
    // (aptitude's instead where Ansible would run aptitude: it is installed, and the mode is not dist)
    if (opts.upgrade !== undefined) {
      lines.push(outSection("aptitude", "command -v aptitude || true"));
      const sim = outSection("upgrade", `apt-get -s ${opts.upgrade} 2>&1; echo "keel-rc=$?"`);
      if (opts.aptitudeUpgrade === undefined) lines.push(sim);
      else
        lines.push(
          "if command -v aptitude >/dev/null 2>&1; then",
          outSection("upgrade", `aptitude -s -y -V ${opts.aptitudeUpgrade} </dev/null 2>&1; echo "keel-rc=$?"; echo keel-via=aptitude`),
          "else",
          sim,
          "fi",
        );
    }
    lines.push("true");
    return lines.join("\n");
  },

  queryCommand: (names) => `dpkg-query -W -f='\${binary:Package}\\t\${Version}\\t\${db:Status-Abbrev}\\t\${Architecture}\\n' ${shJoin(names)}`,

  parse(stdout, _rc, specs) {
    const sec = sections(stdout);
    const state: PkgState = { manager: "apt", packages: {} };
    for (const s of specs) state.packages[s.name] = {};
    for (const line of sec.get("dpkg") ?? []) {
      const [pkg, version, abbrev, arch] = line.split(TAB);
      if (pkg === undefined || version === undefined || abbrev === undefined) continue;
      const status = abbrev[1];
      for (const name of dpkgOwners(specs, pkg, arch)) {
        if (status === "i") state.packages[name]!.installed = version;
        else if (status === "c") state.packages[name]!.configOnly = true;
        // the selection (first letter) "h": held by apt-mark hold
        if (abbrev[0] === "h") state.packages[name]!.held = true;
      }
    }
    const policy = sec.get("policy") ?? [];
    const heads = new Set(policy.flatMap((l) => /^(\S+):$/.exec(l)?.[1] ?? []));
    let cur: string[] = [];
    const known = new Set<string>();
    for (const line of policy) {
      const head = /^(\S+):$/.exec(line);
      if (head) {
        cur = policyOwners(specs, head[1]!, heads);
        cur.forEach((n) => known.add(n));
        continue;
      }
      const cand = /^\s+Candidate:\s+(\S+)/.exec(line);
      if (cand && cand[1] !== "(none)") for (const name of cur) state.packages[name]!.candidate = cand[1]!;
    }
    // A virtual name (apt knows it, no candidate of its own) that an installed package provides is
    // installed, with that package's version: Ansible's apt takes a virtual package's status from its
    // provider, and otherwise leaves apt-get to find nothing to do (changed false) when one is installed.
    const providers = providedBy(sec.get("provides") ?? []);
    for (const s of specs) {
      const p = state.packages[s.name]!;
      if (p.installed !== undefined || p.candidate !== undefined || s.version !== undefined || !known.has(s.name)) continue;
      const by = providers.get(s.name);
      if (by) p.installed = by.version;
    }
    // policy prints a block for every name apt knows (a virtual one too): none means no such package
    if (sec.has("policy"))
      for (const s of specs) if (!known.has(s.name) && state.packages[s.name]!.installed === undefined) state.packages[s.name]!.unknown = true;
    const cache = sec.get("cache");
    if (cache) {
      const num = (k: string) => {
        const m = new RegExp(`^${k} (\\d+)$`).exec(cache.find((l) => l.startsWith(`${k} `)) ?? "");
        return m ? Number(m[1]) : undefined;
      };
      // "stamp N" / "lists N": the older probe's spelling, still read from captured fixtures
      const stamp = num(APT_STAMP) ?? num("stamp");
      const lists = num(APT_LISTS) ?? num("lists");
      const now = num("now");
      const stamps = [stamp, lists].filter((x): x is number => x !== undefined);
      if (now !== undefined && stamps.length > 0) state.cacheAge = Math.max(0, now - Math.max(...stamps));
      // as Ansible's apt (get_cache_mtime): the stamp when it exists, else the lists folder, else 0
      state.cacheTime = stamp ?? lists ?? 0;
    }
    const unneeded = sec.get("unneeded");
    if (unneeded) state.unneeded = unneeded.map((l) => l.trim()).filter(Boolean);
    const upgrade = sec.get("upgrade");
    if (upgrade) {
      const aptitude = (sec.get("aptitude") ?? []).some((l) => l.trim() !== "");
      // aptitude's simulation ends with a marker line after its exit code
      const via = upgrade[upgrade.length - 1] === "keel-via=aptitude";
      if (via) upgrade.pop();
      const rc = /^keel-rc=(\d+)$/.exec(upgrade[upgrade.length - 1] ?? "")?.[1];
      state.upgrade = via ? { items: parseAptitudeSimulation(upgrade), aptitude, via: "aptitude" } : { items: parseSimulation(upgrade), aptitude };
      if (rc !== "0") {
        const said = upgrade.filter((l) => !l.startsWith("keel-rc="));
        const errs = said.filter((l) => l.startsWith("E: "));
        state.upgrade.error = (errs.length ? errs : said).join("\n") || `apt-get -s exited ${rc ?? "?"}`;
      }
    }
    return state;
  },

  compare: compareDebVersions,

  matches(installed, pin) {
    return installed === pin || compareDebVersions(installed, pin) === 0;
  },

  async apply(host, plan, opts) {
    const base = [
      "DEBIAN_FRONTEND=noninteractive apt-get -y",
      `-o DPkg::Lock::Timeout=${opts.lockTimeout}`,
      dpkgOptionFlags(opts.dpkgOptions ?? DEFAULT_DPKG_OPTIONS.split(",")),
    ].join(" ");
    const force = opts.force ? " --force-yes" : "";
    // as Ansible: apt-get clean first, before the refresh and everything else
    const cmds: string[] = opts.clean ? ["apt-get clean"] : [];
    // The stamp's mtime, printed by the refresh after a marker, is Ansible's cache_update_time after
    // the update (the stamp exists now, and Ansible's apt reads it first); it leaves the stdout.
    if (plan.updateCache)
      cmds.push(`${base} update && mkdir -p ${shq(APT_STAMP.replace(/\/[^/]+$/, ""))} && touch ${APT_STAMP} && stat -c ${CACHE_TIME}%Y ${APT_STAMP}`);
    if (plan.systemUpgrade && opts.upgrade !== undefined)
      cmds.push(`${opts.upgrade.startsWith("aptitude ") ? aptitudeBase(opts) : base} ${opts.upgrade.replace(/^aptitude /, "")}`);
    const install = [...plan.install.map(spec), ...plan.upgrade];
    if (install.length > 0) {
      const flags: string[] = [];
      if (opts.onlyUpgrade) flags.push("--only-upgrade");
      if (opts.installRecommends !== undefined) flags.push(`-o APT::Install-Recommends=${opts.installRecommends ? "true" : "false"}`);
      if (opts.allowDowngrade) flags.push("--allow-downgrades");
      if (opts.defaultRelease !== undefined) flags.push(`-t ${shq(opts.defaultRelease)}`);
      // Ansible's force, fail_on_autoremove, allow_unauthenticated, allow_change_held_packages
      if (opts.force) flags.push("--force-yes");
      if (opts.noRemove) flags.push("--no-remove");
      if (opts.allowUnauthenticated) flags.push("--allow-unauthenticated");
      if (opts.allowChangeHeld) flags.push("--allow-change-held-packages");
      cmds.push([base, ...flags, "install", shJoin(install)].join(" "));
    }
    if (plan.purge.length > 0) cmds.push(`${base}${force} purge ${shJoin(plan.purge)}`);
    if (plan.remove.length > 0) cmds.push(`${base}${force} remove ${shJoin(plan.remove)}`);
    if (plan.autoremove) cmds.push(`${base}${force} autoremove${plan.purge.length > 0 ? " --purge" : ""}`);
    let stdout: string;
    // policy_rc_d: one subshell, so the policy-rc.d is put back whatever apt-get does
    if (opts.policyRcD !== undefined && cmds.length > 0) stdout = (await aptRun(host, withPolicyRcD(cmds, opts.policyRcD), opts.lockTimeout)).stdout;
    else {
      const outs: string[] = [];
      for (const cmd of cmds) outs.push((await aptRun(host, cmd, opts.lockTimeout)).stdout);
      stdout = outs.join("");
    }
    const data: Record<string, unknown> = { cache_updated: plan.updateCache };
    const m = new RegExp(`^${CACHE_TIME}(\\d+)\\n?`, "m").exec(stdout);
    if (m) {
      data.cache_update_time = Number(m[1]);
      stdout = stdout.slice(0, m.index) + stdout.slice(m.index + m[0].length);
    } else if (plan.updateCache) data.cache_update_time = 0;
    return { stdout, data };
  },
};

/**
 * The names installed packages provide, from lines "STATUS\tPACKAGE\tVERSION\tPROVIDES" (dpkg's
 * Provides field: "rubygems (= 3.3.15), ruby-interpreter"): name → the first installed provider.
 */
export function providedBy(lines: string[]): Map<string, { pkg: string; version: string }> {
  const out = new Map<string, { pkg: string; version: string }>();
  for (const line of lines) {
    const [abbrev, pkg, version, provides] = line.split(TAB);
    if (abbrev?.[1] !== "i" || !pkg || !version || !provides) continue;
    for (const item of provides.split(",")) {
      const name = item.trim().split(/[\s(]/)[0]!.replace(/:any$/, "");
      if (name && !out.has(name)) out.set(name, { pkg, version });
    }
  }
  return out;
}

/** Ansible runs aptitude as apt-get, with dpkg's options (the lock timeout is apt's setting, which aptitude reads too). */
function aptitudeBase(opts: { lockTimeout: number; dpkgOptions?: readonly string[] }): string {
  return `DEBIAN_FRONTEND=noninteractive aptitude -y -o DPkg::Lock::Timeout=${opts.lockTimeout} ${dpkgOptionFlags(opts.dpkgOptions ?? DEFAULT_DPKG_OPTIONS.split(","))}`;
}

/** "libc6:i386" → ["libc6", "i386"]; "bash" → ["bash", undefined]. */
function splitArch(name: string): [string, string | undefined] {
  const i = name.indexOf(":");
  return i < 0 ? [name, undefined] : [name.slice(0, i), name.slice(i + 1)];
}

/**
 * The requested names a dpkg-query line answers. dpkg prints the arch qualifier only for
 * Multi-Arch: same and foreign-arch packages, so `bash:amd64` is answered by a line `bash`; the
 * line's Architecture field (absent in older captures) tells which qualified names it fits.
 */
export function dpkgOwners(specs: PkgSpec[], pkg: string, arch: string | undefined): string[] {
  const [base, qual] = splitArch(pkg);
  const lineArch = qual ?? (arch || undefined);
  return specs
    .filter((s) => {
      if (s.name === pkg) return true;
      const [sb, sa] = splitArch(s.name);
      if (sb !== base) return false;
      if (sa === undefined) return true;
      return lineArch === undefined || lineArch === sa || lineArch === "all";
    })
    .map((s) => s.name);
}

/**
 * The requested names an `apt-cache policy` header answers: exactly its own name, else (a native
 * package's header has no arch) the arch-qualified names of the same package that no header names.
 */
export function policyOwners(specs: PkgSpec[], head: string, heads: Set<string>): string[] {
  const [base, qual] = splitArch(head);
  return specs
    .filter((s) => {
      if (s.name === head) return true;
      const [sb, sa] = splitArch(s.name);
      if (sb !== base) return false;
      if (sa === undefined) return qual === undefined;
      return qual === undefined && !heads.has(s.name);
    })
    .map((s) => s.name);
}

function spec(s: PkgSpec): string {
  return s.version !== undefined ? `${s.name}=${s.version}` : s.name;
}

/** Run apt-get; a dpkg lock still held after lock_timeout becomes a ModuleError naming the holder. */
async function aptRun(host: Host, cmd: string, lockTimeout: number): Promise<ApplyResult & { stdout: string }> {
  try {
    return await host.run(cmd);
  } catch (e) {
    if (e instanceof CommandError) {
      const lock = lockError(`${e.stdout}\n${e.stderr}`, lockTimeout);
      if (lock) throw new ModuleError(lock);
    }
    throw e;
  }
}
