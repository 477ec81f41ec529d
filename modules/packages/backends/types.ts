// The contract between packages.package and its per-manager strategies (apt, dnf/yum, apk).
// package.ts owns the arguments and the decisions (diff); a backend owns the shell text of its
// probe, the parsing of that text, version ordering and the commands apply runs.
import type { ApplyResult, Host } from "../../../engine/core/module.js";
import { allRecs, parseRecords } from "../../../engine/core/record.js";
import { outLines, snip } from "../../../engine/core/snippets.js";
import type { UpgradeItem } from "./apt-upgrade.js";

/** What a package module's probe reads: every manager's database, index and configuration. */
export const PACKAGE_READS: readonly string[] = [
  "pkg",
  "file:/etc/apt",
  "file:/var/lib/apt",
  "file:/var/lib/dpkg",
  "file:/var/cache/apt",
  "file:/etc/dnf",
  "file:/etc/yum.repos.d",
  "file:/var/lib/rpm",
  "file:/var/cache/dnf",
  "file:/var/lib/dnf",
  "file:/etc/apk",
  "file:/lib/apk",
];

/** One requested package: `nginx` or `nginx=1.24-1` (pinned). */
export interface PkgSpec {
  name: string;
  version?: string;
  /** The pin is older than the installed version (set by diff; dnf needs `downgrade`). */
  downgrade?: boolean;
}

export interface PkgInfo {
  /** Installed version; absent when not installed. */
  installed?: string;
  /** The version the manager would install now (apt's Candidate, dnf's latest, apk's available). */
  candidate?: string;
  /** apt only: removed, but its configuration files remain (dpkg status "rc"). */
  configOnly?: boolean;
  /** apt only: apt-cache policy knows nothing of the name (no package, no virtual package). */
  unknown?: boolean;
  /** apt only: held (apt-mark hold, dpkg selection "hold"). */
  held?: boolean;
}

export interface PkgState {
  manager: string;
  packages: Record<string, PkgInfo>;
  /** Seconds since the package index was last refreshed; absent when the backend cannot tell. */
  cacheAge?: number;
  /**
   * apt: Ansible's cache_update_time, the index's mtime as Ansible's apt reads it: the update-success
   * stamp when it exists, else /var/lib/apt/lists, else 0. Absent when not probed.
   */
  cacheTime?: number;
  /** Packages the manager would autoremove now (only probed when autoremove is asked). */
  unneeded?: string[];
  /** apt `upgrade:`: what `apt-get -s` of the same upgrade lists, whether aptitude is on the host, or apt-get's error. */
  upgrade?: { items: UpgradeItem[]; aptitude: boolean; error?: string; via?: "aptitude" };
}

export interface ProbeOptions {
  /** Which names need a candidate version: all (state latest), missing ones (present), none (absent). */
  candidates: "all" | "missing" | "none";
  /** Probe the age of the package index (cache_valid_time set). */
  needCacheAge: boolean;
  /** apt: probe the index's mtime for the registered cache_update_time (any state but absent). */
  needCacheTime?: boolean;
  /** Probe what autoremove would remove. */
  needUnneeded: boolean;
  /** apt: the release that wins (APT::Default-Release), so the candidate is the one install takes. */
  defaultRelease?: string;
  /** apt: simulate this whole-system upgrade (apt-get's flags and subcommand, as apply runs it). */
  upgrade?: string;
  /** apt: aptitude's arguments for the same upgrade, simulated instead where aptitude is installed. */
  aptitudeUpgrade?: string;
}

/** What apply must do, gathered from the diff's changes. */
export interface PkgPlan {
  updateCache: boolean;
  /** Install or change version (specs carry the pinned version, if any). */
  install: PkgSpec[];
  /** Upgrade to the newest version (state latest). */
  upgrade: string[];
  remove: string[];
  purge: string[];
  autoremove: boolean;
  /** apt: run the whole-system upgrade (ApplyOptions.upgrade). */
  systemUpgrade?: boolean;
}

export interface ApplyOptions {
  installRecommends?: boolean;
  allowDowngrade: boolean;
  lockTimeout: number;
  /** apt: install from this release (apt-get -t RELEASE). */
  defaultRelease?: string;
  /** apt: dpkg's options, each passed as -o Dpkg::Options::=--OPT (default force-confdef, force-confold). */
  dpkgOptions?: readonly string[];
  /** apt: install with --only-upgrade. */
  onlyUpgrade?: boolean;
  /** apt: /usr/sbin/policy-rc.d answers `exit N` while apt-get runs. */
  policyRcD?: number;
  /** apt: the whole-system upgrade's flags and subcommand (the ones the probe simulated). */
  upgrade?: string;
  /** apt: Ansible's force (--force-yes on every apt-get run). */
  force?: boolean;
  /** apt: install with --allow-unauthenticated, --allow-change-held-packages, --no-remove (fail_on_autoremove). */
  allowUnauthenticated?: boolean;
  allowChangeHeld?: boolean;
  noRemove?: boolean;
  /** apt: run apt-get clean first (Ansible's clean, before anything else). */
  clean?: boolean;
}

export interface PackageBackend {
  /** The manager's name in messages: "apt", "dnf", "apk". */
  readonly manager: string;
  /** Whether the manager can tell the age of its index (apt only). */
  readonly cacheAge: boolean;
  /** Whether purge means something (apt only). */
  readonly purge: boolean;
  probeScript(specs: PkgSpec[], opts: ProbeOptions): string;
  /** The command of probeScript that reads what is installed, as audit evidence names it ("dpkg-query -W … aide"). */
  queryCommand(names: string[]): string;
  parse(stdout: string, rc: number, specs: PkgSpec[]): PkgState;
  /** <0, 0, >0 in the manager's version order. */
  compare(a: string, b: string): number;
  /** Whether an installed version satisfies a pin. */
  matches(installed: string, pin: string): boolean;
  apply(host: Host, plan: PkgPlan, opts: ApplyOptions): Promise<ApplyResult>;
}

/**
 * One section of a backend's probe: the record `@out ID` whose `text:b64=` is what `command`
 * printed (byte for byte, so no line of a manager's output can be mistaken for a record).
 */
export const outSection = snip.out;

/** The probe's sections: id → the non-blank lines of its text (a section not printed is absent). */
export function sections(stdout: string): Map<string, string[]> {
  const recs = parseRecords(stdout);
  return new Map(allRecs(recs, "out").map((r) => [r.id, outLines(recs, r.id)]));
}
