// apt/dpkg strategy of the patch modules and `keel patch report`. One read-only probe prints:
//   @meta       now, running kernel, the update stamp's and the lists folder's mtimes
//   @cmd dpkg     every package dpkg knows, with its version and status (holds, interrupted installs)
//   @cmd policy   `apt-cache policy` of the installed packages, only the blocks whose candidate
//                 differs from the installed version (so the text stays small on a big host)
//   @cmd targets  `apt-get indextargets`: each fetched list with its Release's
//                 Origin/Label/Suite/Codename, for the security classification
//   @cmd sources  every configured source's list files and whether one is on disk (broken sources)
//   @cmd releases the Date: of every Release file in /var/lib/apt/lists (update age)
//   @cmd kernels  /boot, for a newer installed kernel than the running one
//   @cmd dpkg_updates  /var/lib/dpkg/updates: files there mean dpkg was interrupted
//   @stat reboot_required, @file reboot_pkgs
// apply installs exactly the listed packages at their listed versions (`apt-get install
// --only-upgrade pkg=ver …`) after checking that no candidate moved since the probe.
import type { Host } from "../../engine/core/module.js";
import { CommandError, ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords, type Rec } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shJoin, shq } from "../../engine/core/shell.js";
import { compareDebVersions } from "../../engine/core/pkgversion.js";
import { lockError } from "../../engine/core/aptlock.js";
import {
  brokenSources,
  installedKernels,
  interruptedPackages,
  parseDpkg,
  parsePolicy,
  parseReleaseDates,
  parseTargets,
  pendingUpdates,
  TARGET_FORMAT,
} from "./apt-parse.js";
import type { PatchBackend, PatchState, RebootInfo, UpgradeOutcome } from "./types.js";

export const APT_STAMP = "/var/lib/apt/periodic/update-success-stamp";
const LISTS = "/var/lib/apt/lists";
const REBOOT_FLAG = "/var/run/reboot-required";

/** Keeps only the policy blocks whose Installed and Candidate differ. */
const POLICY_FILTER = `awk '
/^[^ ].*:$/ { if (b != "" && i != c) printf "%s", b; b = ""; i = ""; c = "" }
{ b = b $0 "\\n" }
/^  Installed: / { i = $2 }
/^  Candidate: / { c = $2 }
END { if (b != "" && i != c) printf "%s", b }'`;

const DPKG_FORMAT = "'${binary:Package}\\t${Version}\\t${db:Status-Abbrev}\\n'";

function probeScript(): string {
  return [
    "LC_ALL=C; export LC_ALL",
    snip.begin("meta"),
    snip.field("now", '"$(date +%s)"'),
    snip.field("kernel", '"$(uname -r)"'),
    snip.field("stamp", `"$(stat -c %Y ${APT_STAMP} 2>/dev/null)"`),
    snip.field("lists", `"$(stat -c %Y ${LISTS} 2>/dev/null)"`),
    snip.cmd("dpkg", `dpkg-query -W -f=${DPKG_FORMAT}`),
    snip.cmd(
      "policy",
      `names=$(dpkg-query -W -f='\${db:Status-Abbrev} \${binary:Package}\\n' | awk '$1 ~ /^.i/ { print $2 }'); [ -z "$names" ] || apt-cache policy $names | ${POLICY_FILTER}`,
    ),
    // Only Packages lists: Translation and Contents files are optional and often absent.
    snip.cmd("targets", `apt-get indextargets --format '${TARGET_FORMAT}' 'Identifier: Packages' | sed 's/$/|1/'`),
    // Every configured source, with or without a fetched Release (indextargets alone omits those).
    snip.cmd(
      "sources",
      `apt-get indextargets --no-release-info --format '$(REPO_URI)|$(RELEASE)|$(FILENAME)' 'Identifier: Packages' | while IFS= read -r l; do f=\${l##*|}; if [ -e "$f" ] || ls "$f".* >/dev/null 2>&1; then printf '%s|1\\n' "$l"; else printf '%s|0\\n' "$l"; fi; done`,
    ),
    snip.cmd("releases", `for f in ${LISTS}/*Release; do [ -f "$f" ] && printf '%s\\t%s\\n' "$f" "$(grep -m1 '^Date:' "$f")"; done; true`),
    snip.cmd("kernels", "ls -1 /boot"),
    snip.cmd("dpkg_updates", "ls -1 /var/lib/dpkg/updates"),
    snip.stat("reboot_required", REBOOT_FLAG),
    snip.readFile("reboot_pkgs", `${REBOOT_FLAG}.pkgs`, { maxBytes: 65536 }),
    "true",
  ].join("\n");
}

const out = (recs: Rec[], id: string) => findRec(recs, "cmd", id)?.get("out") ?? "";

/** A numeric field that may be empty (stat of a missing file prints nothing). */
export function optInt(rec: Rec | undefined, key: string): number | undefined {
  const v = rec?.get(key)?.trim();
  return v ? rec!.int(key) : undefined;
}

export function parseAptProbe(stdout: string): PatchState {
  const recs = parseRecords(stdout);
  const meta = findRec(recs, "meta");
  const now = optInt(meta, "now") ?? Math.floor(Date.now() / 1000);
  const dpkg = parseDpkg(out(recs, "dpkg"));
  const dpkgCmd = findRec(recs, "cmd", "dpkg");
  if (!dpkgCmd || dpkgCmd.int("rc") !== 0) {
    throw new ModuleError(`dpkg-query failed (exit ${dpkgCmd?.int("rc") ?? "?"}): ${(dpkgCmd?.get("err") ?? "").trim().split("\n")[0] || "no output"}`);
  }
  // dpkg records an unfinished run in /var/lib/dpkg/updates; apt refuses to work until it is fixed.
  const journal = out(recs, "dpkg_updates")
    .split("\n")
    .filter((l) => /^\d+$/.test(l.trim()));
  const broken = interruptedPackages(dpkg);
  if (journal.length > 0 || broken.length > 0) {
    throw new ModuleError(
      `dpkg was interrupted${broken.length ? ` (not fully installed: ${broken.join(", ")})` : ""}; run \`dpkg --configure -a\` as root on the host, then run keel again`,
    );
  }
  const targets = parseTargets(out(recs, "targets"));
  const dates = parseReleaseDates(out(recs, "releases"));
  const updates = pendingUpdates(parsePolicy(out(recs, "policy")), dpkg, targets, dates);
  const stamps = [optInt(meta, "stamp"), targets.length > 0 ? optInt(meta, "lists") : undefined].filter((x): x is number => x !== undefined);
  const running = meta?.get("kernel") ?? "";
  const kernels = installedKernels(out(recs, "kernels"));
  const state: PatchState = {
    manager: "apt",
    now,
    updates,
    held: dpkg
      .filter((d) => d.want === "h")
      .map((d) => d.name)
      .sort(),
    reboot: rebootInfo(
      findRec(recs, "stat", "reboot_required")?.get("exists") === "1",
      findRec(recs, "file", "reboot_pkgs")?.get("content") ?? "",
      running,
      kernels[0],
    ),
    kernel: kernels[0] !== undefined ? { running, newest: kernels[0] } : { running },
    // A host that never fetched any list has no broken source, only no lists (listsAge absent).
    brokenSources: targets.length > 0 ? brokenSources(out(recs, "sources")) : [],
  };
  if (stamps.length > 0) state.listsAge = Math.max(0, now - Math.max(...stamps));
  // Ansible's apt: the stamp when it exists, else the lists folder (fetched or not), never the newer of the two.
  const cacheTime = optInt(meta, "stamp") ?? optInt(meta, "lists");
  if (cacheTime !== undefined) state.cacheAge = Math.max(0, now - cacheTime);
  return state;
}

/** Debian's flag file (written by packages' postinst), or a newer installed kernel than the running one. */
export function rebootInfo(flag: boolean, pkgsText: string, running: string, newest: string | undefined): RebootInfo {
  const reasons: string[] = [];
  const packages = [
    ...new Set(
      pkgsText
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
  if (flag) reasons.push(`${REBOOT_FLAG} exists${packages.length ? ` (${packages.join(", ")})` : ""}`);
  if (newest !== undefined && running !== "" && newest !== running && compareDebVersions(newest, running) > 0)
    reasons.push(`kernel ${newest} installed, ${running} running`);
  return { required: reasons.length > 0, reasons, packages };
}

/** apt-get update's failures, one sentence per source ("file:/srv/repo keel-broken: no Release file"). */
export function updateErrors(output: string): string[] {
  const out: string[] = [];
  for (const line of output.split("\n")) {
    const norel = /^E: The repository '([^']+)' (?:does not have|no longer has) a Release file\.?/.exec(line);
    if (norel) out.push(`${norel[1]!.replace(/ Release$/, "")}: no Release file`);
    const fetch = /^(?:E|W): Failed to fetch (\S+)\s+(.*)$/.exec(line);
    if (fetch) out.push(`${fetch[1]}: ${fetch[2]!.trim()}`);
    const sig = /^(?:E|W): GPG error: (\S+ \S+)(?: \w+)?: (.*)$/.exec(line);
    if (sig) out.push(`${sig[1]}: ${sig[2]!.trim()}`);
  }
  return [...new Set(out)];
}

async function aptGet(host: Host, cmd: string, lockTimeout: number): Promise<string> {
  try {
    return (await host.run(cmd)).stdout;
  } catch (e) {
    if (e instanceof CommandError) {
      const lock = lockError(`${e.stdout}\n${e.stderr}`, lockTimeout);
      if (lock) throw new ModuleError(`${host.name}: ${lock}`);
      if (/dpkg was interrupted/.test(e.stderr))
        throw new ModuleError(`${host.name}: dpkg was interrupted; run \`dpkg --configure -a\` as root on the host, then run keel again`);
    }
    throw e;
  }
}

const APT = (lockTimeout: number) =>
  `DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=${lockTimeout} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold`;

export const aptPatch: PatchBackend = {
  manager: "apt",
  probeScript,
  parse: (stdout) => parseAptProbe(stdout),
  compare: compareDebVersions,

  async upgrade(host, plan) {
    const base = APT(plan.lockTimeout);
    const logs: string[] = [];
    if (plan.updateCache) {
      // apt-get update exits 0 with some sources failed (W:), 100 with E:. Either way a source
      // that failed is named; the task fails, as its list of updates would be incomplete.
      const r = await host.run(`${base} update 2>&1`, { check: false });
      const errs = updateErrors(r.stdout);
      const lock = lockError(r.stdout, plan.lockTimeout);
      if (lock) throw new ModuleError(`${host.name}: ${lock}`);
      if (r.rc !== 0 || errs.length > 0) {
        throw new ModuleError(
          `apt-get update failed on ${host.name}: ${errs.length ? errs.join("; ") : (r.stdout.trim().split("\n").slice(-1)[0] ?? `exit ${r.rc}`)}`,
        );
      }
      await host.run(`mkdir -p ${shq(APT_STAMP.replace(/\/[^/]+$/, ""))} && touch ${APT_STAMP}`);
      logs.push(r.stdout);
    }
    const outcome: UpgradeOutcome = { upgraded: [], changedSinceProbe: [] };
    if (plan.updates.length === 0) return { ...outcome, stdout: logs.join("") };
    // The candidates now: a list refreshed since the probe (by this task or anyone) may offer
    // other versions. Those packages are reported, not silently taken.
    const names = plan.updates.map((u) => u.name);
    const now = new Map(parsePolicy((await host.run(`LC_ALL=C apt-cache policy ${shJoin(names)}`)).stdout).map((p) => [p.name, p]));
    const take = plan.updates.filter((u) => {
      const p = now.get(u.name);
      const cur = p?.candidate ?? "(none)";
      const inst = p?.installed ?? "(none)";
      if (cur !== u.candidate || inst !== u.installed) {
        outcome.changedSinceProbe.push({ name: u.name, planned: `${u.installed} → ${u.candidate}`, now: `${inst} → ${cur}` });
        return false;
      }
      return true;
    });
    if (take.length > 0) {
      // --only-upgrade: never installs a package that is not there; --no-remove: never removes one
      // to make room (the task fails instead, naming the conflict).
      logs.push(await aptGet(host, `${base} --only-upgrade --no-remove install ${shJoin(take.map((u) => `${u.name}=${u.candidate}`))}`, plan.lockTimeout));
      outcome.upgraded = take;
      if (plan.autoremove) logs.push(await aptGet(host, `${base} autoremove`, plan.lockTimeout));
    }
    return { ...outcome, stdout: logs.join("") };
  },

  async rebootRequired(host) {
    const r = await host.run(
      `if [ -e ${REBOOT_FLAG} ]; then echo flag=1; else echo flag=0; fi; echo "running=$(uname -r)"; ls -1 /boot 2>/dev/null | sed 's/^/boot=/'; sed 's/^/pkg=/' ${REBOOT_FLAG}.pkgs 2>/dev/null; true`,
      { check: false },
    );
    const lines = r.stdout.split("\n");
    const val = (k: string) => lines.filter((l) => l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1));
    const kernels = installedKernels(val("boot").join("\n"));
    return rebootInfo(val("flag")[0] === "1", val("pkg").join("\n"), val("running")[0] ?? "", kernels[0]);
  },

  async hold(host, names) {
    return { stdout: (await host.run(`apt-mark hold ${shJoin(names)}`)).stdout };
  },

  async unhold(host, names) {
    return { stdout: (await host.run(`apt-mark unhold ${shJoin(names)}`)).stdout };
  },
};
