// dnf strategy of the patch modules and `keel patch report` (also used for yum on EL8+). One
// read-only probe, run from dnf's cache (-C: no metadata download, no lock):
//   @meta          now, running kernel, newest repomd.xml mtime (lists age)
//   @cmd check     dnf check-update (exit 100 when updates are pending)
//   @cmd installed rpm -q of every package check-update named
//   @cmd security  dnf updateinfo list --security --updates (advisory, severity, NEVRA)
//   @cmd dates     dnf updateinfo info --security --updates (issue dates)
//   @cmd locks     dnf versionlock list (the plugin may be missing: no locks then)
//   @cmd needs     needs-restarting -r (dnf-utils / yum-utils)
//   @cmd kernels   installed kernel packages
// apply upgrades exactly name-version.arch for each listed update.
import { ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords, type Rec } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shJoin } from "../../engine/core/shell.js";
import { compareRpmVersions } from "../../engine/core/pkgversion.js";
import {
  dnfPendingUpdates,
  parseCheckUpdate,
  parseNeedsRestarting,
  parseRpmInstalled,
  parseUpdateinfoDates,
  parseUpdateinfoList,
  parseVersionlock,
} from "./dnf-parse.js";
import { optInt } from "./apt.js";
import type { PatchBackend, PatchState, RebootInfo, UpgradeOutcome } from "./types.js";

const QF = "'%{NAME}.%{ARCH}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\n'";
const KERNEL_QF = "'%{VERSION}-%{RELEASE}.%{ARCH}\\n'";

function probeScript(): string {
  return [
    "LC_ALL=C; export LC_ALL",
    snip.begin("meta"),
    snip.field("now", '"$(date +%s)"'),
    snip.field("kernel", '"$(uname -r)"'),
    snip.field("lists", `"$(stat -c %Y /var/cache/dnf/*/repodata/repomd.xml /var/cache/libdnf5/*/repodata/repomd.xml 2>/dev/null | sort -n | tail -n 1)"`),
    snip.cmd("check", "dnf -q -C check-update"),
    snip.cmd(
      "installed",
      // check-update's names, and those of security advisories (a versionlocked package is missing
      // from check-update but its advisory is still listed: a held update, reported)
      `na=$({ dnf -q -C check-update 2>/dev/null | sed -n '/^Obsoleting/q;s/^\\([^ ]*\\.[A-Za-z0-9_]*\\) .*/\\1/p'; dnf -q -C updateinfo list --security --updates 2>/dev/null | awk '{ print $NF }' | sed -n 's/-[^-]*-[^-]*\\(\\.[A-Za-z0-9_]*\\)$/\\1/p'; } | sort -u); [ -z "$na" ] || rpm -q --qf ${QF} $na`,
    ),
    snip.cmd("security", "dnf -q -C updateinfo list --security --updates"),
    snip.cmd("dates", "dnf -q -C updateinfo info --security --updates"),
    snip.cmd("locks", "dnf -q -C versionlock list"),
    snip.cmd("needs", "needs-restarting -r"),
    snip.cmd("kernels", `rpm -q --qf ${KERNEL_QF} kernel kernel-core`),
    "true",
  ].join("\n");
}

const get = (recs: Rec[], id: string) => findRec(recs, "cmd", id);

export function parseDnfProbe(stdout: string): PatchState {
  const recs = parseRecords(stdout);
  const meta = findRec(recs, "meta");
  const now = optInt(meta, "now") ?? Math.floor(Date.now() / 1000);
  const check = get(recs, "check");
  const rc = check?.int("rc");
  // check-update: 0 nothing pending, 100 updates pending, anything else an error (often "Cache-only
  // enabled but no cache": the metadata was never downloaded).
  if (rc !== 0 && rc !== 100) {
    const err = (check?.get("err") ?? "").trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";
    throw new ModuleError(
      `dnf check-update failed (exit ${rc ?? "?"})${err ? `: ${err}` : ""}; run \`dnf makecache\` (or update_cache: true) if the metadata was never downloaded`,
    );
  }
  const locked = parseVersionlock(get(recs, "locks")?.int("rc") === 0 ? (get(recs, "locks")?.get("out") ?? "") : "");
  const updates = dnfPendingUpdates(
    parseCheckUpdate(check?.get("out") ?? ""),
    parseRpmInstalled(get(recs, "installed")?.get("out") ?? ""),
    parseUpdateinfoList(get(recs, "security")?.get("out") ?? ""),
    parseUpdateinfoDates(get(recs, "dates")?.get("out") ?? ""),
    locked,
  );
  const running = meta?.get("kernel") ?? "";
  const kernels = (get(recs, "kernels")?.get("out") ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/not installed/.test(l))
    .sort((a, b) => compareRpmVersions(b, a));
  const needs = get(recs, "needs");
  const reboot = rebootFrom(needs?.get("out") ?? "", needs?.int("rc") ?? 127, running, kernels[0]);
  const lists = optInt(meta, "lists");
  const state: PatchState = {
    manager: "dnf",
    now,
    updates,
    held: locked,
    reboot,
    kernel: kernels[0] !== undefined ? { running, newest: kernels[0] } : { running },
    brokenSources: [],
  };
  if (lists !== undefined) state.listsAge = state.cacheAge = Math.max(0, now - lists);
  return state;
}

/** needs-restarting -r when it ran; a newer installed kernel than the running one in any case. */
export function rebootFrom(needsOut: string, needsRc: number, running: string, newest: string | undefined): RebootInfo {
  const nr = parseNeedsRestarting(needsOut, needsRc) ?? { required: false, reasons: [], packages: [] };
  const reasons = [...nr.reasons];
  if (newest !== undefined && running !== "" && newest !== running && compareRpmVersions(newest, running) > 0)
    reasons.push(`kernel ${newest} installed, ${running} running`);
  return { required: reasons.length > 0, reasons, packages: nr.packages };
}

export const dnfPatch: PatchBackend = {
  manager: "dnf",
  probeScript,
  parse: (stdout) => parseDnfProbe(stdout),
  compare: compareRpmVersions,

  async upgrade(host, plan) {
    const logs: string[] = [];
    if (plan.updateCache) logs.push((await host.run("dnf -y makecache --refresh")).stdout);
    const outcome: UpgradeOutcome = { upgraded: [], changedSinceProbe: [] };
    if (plan.updates.length === 0) return { ...outcome, stdout: logs.join("") };
    // The candidates now (from the cache, which a refresh may have changed): moved ones are reported.
    const r = await host.run(`LC_ALL=C dnf -q -C check-update ${shJoin(plan.updates.map((u) => u.name))}`, { check: false });
    if (r.rc !== 0 && r.rc !== 100)
      throw new ModuleError(`dnf check-update failed on ${host.name} (exit ${r.rc}): ${r.stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
    const now = new Map(parseCheckUpdate(r.stdout).map((c) => [`${c.name}.${c.arch}`, c.version]));
    const take = plan.updates.filter((u) => {
      const cur = now.get(u.name) ?? "(none)";
      if (cur !== u.candidate) {
        outcome.changedSinceProbe.push({
          name: u.name,
          planned: `${u.installed} → ${u.candidate}`,
          now: cur === "(none)" ? "no update pending" : `${u.installed} → ${cur}`,
        });
        return false;
      }
      return true;
    });
    if (take.length > 0) {
      // name-[epoch:]version-release.arch: exactly the listed build.
      const specs = take.map((u) => {
        const dot = u.name.lastIndexOf(".");
        return `${u.name.slice(0, dot)}-${u.candidate}${u.name.slice(dot)}`;
      });
      logs.push((await host.run(`dnf -y upgrade ${shJoin(specs)}`)).stdout);
      outcome.upgraded = take;
      if (plan.autoremove) logs.push((await host.run("dnf -y autoremove")).stdout);
    }
    return { ...outcome, stdout: logs.join("") };
  },

  async rebootRequired(host) {
    const r = await host.run(
      `LC_ALL=C needs-restarting -r; echo "@rc=$?"; echo "@running=$(uname -r)"; rpm -q --qf ${KERNEL_QF} kernel kernel-core 2>/dev/null | sed 's/^/@kernel=/'`,
      { check: false },
    );
    const lines = r.stdout.split("\n");
    const rc = Number(lines.find((l) => l.startsWith("@rc="))?.slice(4) ?? 127);
    const running = lines.find((l) => l.startsWith("@running="))?.slice(9) ?? "";
    const kernels = lines
      .filter((l) => l.startsWith("@kernel=") && !/not installed/.test(l))
      .map((l) => l.slice(8))
      .sort((a, b) => compareRpmVersions(b, a));
    return rebootFrom(lines.filter((l) => !l.startsWith("@")).join("\n"), rc, running, kernels[0]);
  },

  async hold(host, names) {
    return { stdout: (await host.run(`dnf -y versionlock add ${shJoin(names)}`)).stdout };
  },

  async unhold(host, names) {
    return { stdout: (await host.run(`dnf -y versionlock delete ${shJoin(names)}`)).stdout };
  },
};
