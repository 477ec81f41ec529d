// packages.apt's arguments beyond Ansible's package module that change how apt-get runs or add a
// step of their own, as ansible-core 2.14's apt module has them (modules/apt.py): force,
// allow_unauthenticated, allow_change_held_packages, fail_on_autoremove, clean and autoclean. Pure:
// their schema, the probe sections they need, the rules diff applies (a held package, a removal
// under fail_on_autoremove) and the changes of clean and autoclean. apt.ts wires them in.
import type { Change, JSONSchema } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { shJoin, shq } from "../../engine/core/shell.js";
import { outSection, sections, type ApplyOptions, type PkgSpec, type PkgState } from "./backends/types.js";

export interface AptExtraArgs {
  force?: boolean;
  allow_unauthenticated?: boolean;
  allow_change_held_packages?: boolean;
  fail_on_autoremove?: boolean;
  clean?: boolean;
  autoclean?: boolean;
  /** A .deb file on the host, a comma-separated list of them, or an http(s) URL (apt-deb.ts). */
  deb?: string;
}

export const APT_EXTRA_PROPS: Record<string, JSONSchema> = {
  force: {
    type: "boolean",
    default: false,
    description:
      "apt-get's --force-yes on every apt-get run (install, remove, upgrade, autoclean; dpkg --force-all for deb), as Ansible: " +
      "held packages change, pinned versions may downgrade, unauthenticated packages install. apt prints that --force-yes is deprecated.",
  },
  allow_unauthenticated: {
    type: "boolean",
    default: false,
    description: "Install (and upgrade) with apt-get --allow-unauthenticated: packages from a repository that is not signed install.",
  },
  allow_change_held_packages: {
    type: "boolean",
    default: false,
    description:
      "Install with --allow-change-held-packages. Without it (and without force), a task that would install, upgrade or " +
      "downgrade a package on hold (apt-mark hold) fails, in check mode too, as apt-get -y fails in Ansible; with it the package changes.",
  },
  fail_on_autoremove: {
    type: "boolean",
    default: false,
    description:
      "Install and upgrade with apt-get --no-remove: when apt would have to remove a package to do it, the task fails (check mode " +
      "too: the probe simulates the install with --no-remove).",
  },
  clean: {
    type: "boolean",
    default: false,
    description:
      "Run apt-get clean before anything else, as Ansible, which never counts it as a change (a task with clean alone is ok). " +
      "keel's probe lists the downloaded .deb files in /var/cache/apt/archives: none, nothing to do; some, apt-get clean runs " +
      "(before the task's other work) and, alone, the task still reports ok in a run, as Ansible's. It is never drift; check " +
      "mode reports it as the change it would make (Ansible's check mode runs apt-get clean and says ok).",
  },
  autoclean: {
    type: "boolean",
    default: false,
    description:
      "Remove cached .deb files that can no longer be downloaded (apt-get autoclean), when the task names no package, as Ansible: " +
      "the probe simulates it (apt-get -s autoclean) and each file it would delete is a change. Ignored, as in Ansible, with " +
      "name, deb, upgrade, update_cache or cache_valid_time; it takes autoremove's place when both are set.",
  },
};

/** The apt-get flags of the install (and the other runs) these arguments add. */
export function aptApplyFlags(a: AptExtraArgs): Pick<ApplyOptions, "force" | "allowUnauthenticated" | "allowChangeHeld" | "noRemove" | "clean"> {
  return {
    force: a.force === true,
    allowUnauthenticated: a.allow_unauthenticated === true,
    allowChangeHeld: a.allow_change_held_packages === true,
    noRemove: a.fail_on_autoremove === true,
    clean: a.clean === true,
  };
}

/** autoclean runs only without packages, and not after a cache update (Ansible exits there). */
export function autocleanRuns(a: AptExtraArgs & { update_cache?: boolean; cache_valid_time?: number }, names: number, upgrade: boolean): boolean {
  return a.autoclean === true && names === 0 && !upgrade && a.deb === undefined && a.update_cache !== true && !a.cache_valid_time;
}

/** The probe sections these arguments need beyond the package probe. */
export function extraProbe(a: AptExtraArgs & { default_release?: string | null }, specs: PkgSpec[], installing: boolean, autoclean: boolean): string {
  const lines: string[] = [];
  // the install as apply runs it, simulated with --no-remove (apt-get checks removals before simulating)
  if (a.fail_on_autoremove === true && installing && specs.length > 0) {
    const rel = a.default_release ? ` -t ${shq(a.default_release)}` : "";
    const words = specs.map((s) => (s.version !== undefined ? `${s.name}=${s.version}` : s.name));
    lines.push(outSection("noremove", `LC_ALL=C apt-get -s --no-remove install ${shJoin(words)}${rel} 2>&1; echo "keel-rc=$?"`));
  }
  if (autoclean) lines.push(outSection("autoclean", `LC_ALL=C apt-get -s autoclean 2>&1; echo "keel-rc=$?"`));
  // what apt-get clean would delete that stays deleted (its pkgcache.bin comes back with any apt-cache run)
  if (a.clean === true) lines.push(outSection("cleanable", "ls -d /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/* 2>/dev/null || true"));
  return lines.join("\n");
}

export interface ExtraState {
  /** fail_on_autoremove: apt-get's error when the install would have to remove packages. */
  noRemoveError?: string;
  /** autoclean: the cached files apt-get autoclean would delete ("Del NAME VERSION [SIZE]"). */
  autoclean?: string[];
  /** clean: the downloaded files apt-get clean would delete. */
  cleanable?: string[];
}

export function parseExtra(stdout: string): ExtraState {
  const sec = sections(stdout);
  const out: ExtraState = {};
  const nr = sec.get("noremove");
  if (nr && !nr.includes("keel-rc=0")) {
    const errs = nr.filter((l) => l.startsWith("E: "));
    if (errs.some((l) => /remove is disabled/.test(l))) out.noRemoveError = errs.join("\n");
  }
  const ac = sec.get("autoclean");
  if (ac) {
    if (!ac.includes("keel-rc=0")) throw new ModuleError(`'apt-get autoclean' failed: ${ac.filter((l) => !l.startsWith("keel-rc=")).join("\n")}`);
    out.autoclean = ac.filter((l) => l.startsWith("Del ")).map((l) => l.slice(4).trim());
  }
  const cl = sec.get("cleanable");
  if (cl) out.cleanable = cl.map((l) => l.trim()).filter(Boolean);
  return out;
}

type Op = { op: string; name?: string; spec?: PkgSpec };

/**
 * What apt-get -y refuses before it simulates, and so before it acts, in Ansible's check mode
 * too: a held package that would change without allow_change_held_packages (removal: always,
 * Ansible's remove() never passes the flag), unless force; a removal under fail_on_autoremove.
 */
export function aptRefusals(st: PkgState & ExtraState, a: AptExtraArgs, changes: Change<Op>[]): void {
  if (a.force === true) return;
  for (const c of changes) {
    const op = c.data?.op;
    const name = op === "install" ? c.data?.spec?.name : op === "upgrade" || op === "remove" || op === "purge" ? c.data?.name : undefined;
    if (name === undefined || st.packages[name]?.held !== true) continue;
    const removing = op === "remove" || op === "purge";
    if (removing || a.allow_change_held_packages !== true)
      throw new ModuleError(
        `'apt-get ${removing ? "remove" : "install"} ${name}' failed: E: Held packages were changed and -y was used without ` +
          `--allow-change-held-packages (package ${name} is on hold: ${removing ? "release the hold or set force: true" : "set allow_change_held_packages: true or release the hold"})`,
      );
  }
  if (st.noRemoveError !== undefined && changes.some((c) => c.data?.op === "install" || c.data?.op === "upgrade"))
    throw new ModuleError(`'apt-get install --no-remove' failed (fail_on_autoremove): ${st.noRemoveError}`);
}

/** apt-get autoclean's changes: one per cached file it would delete ([]: converged). */
export function autocleanChanges(st: ExtraState): Change<{ op: "autoclean"; name: string }>[] {
  return (st.autoclean ?? []).map((f) => ({
    summary: `cached package ${f} can no longer be downloaded, to autoclean`,
    field: "cache",
    before: "cached",
    after: "absent",
    data: { op: "autoclean" as const, name: f },
  }));
}

/**
 * clean: apt-get clean as an action (never drift) when the cache holds downloaded files; apply runs
 * it first and, when it is the task's only change, reports ok as Ansible does ([]: nothing to clean).
 */
export function cleanChanges(st: ExtraState, a: AptExtraArgs): Change<{ op: "clean"; action: true }>[] {
  const n = st.cleanable?.length ?? 0;
  if (a.clean !== true || n === 0) return [];
  return [{ summary: `apt cache holds ${n} downloaded file${n === 1 ? "" : "s"}, apt-get clean`, field: "cache", data: { op: "clean", action: true } }];
}

/** apt-get autoclean as Ansible's cleanup() runs it: dpkg's options, --purge with purge, --force-yes with force. */
export function autocleanCommand(dpkgFlags: string, a: AptExtraArgs & { purge?: boolean }): string {
  return `DEBIAN_FRONTEND=noninteractive apt-get -y ${dpkgFlags}${a.purge === true ? " --purge" : ""}${a.force === true ? " --force-yes" : ""} autoclean`;
}
