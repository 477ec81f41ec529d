// What the patch probes find on a host, shared by patches.upgrade, patches.hold and
// `keel patch report`. The backends (apt.ts, dnf.ts) own their shell text and parsing; the
// decisions (which updates a task takes, what the report counts) are pure code in select.ts and
// engine/report/patch.
import type { ApplyResult, Host } from "../../engine/core/module.js";

/** One package with a newer version available. */
export interface PendingUpdate {
  /** Package name as the manager takes it on the command line (apt: `libc6:i386` for a foreign arch). */
  name: string;
  installed: string;
  candidate: string;
  /** The candidate comes from a security suite/origin (apt) or a security advisory (dnf). */
  security: boolean;
  /** Where the candidate comes from: the apt suite (`bookworm-security`) or the dnf repository id. */
  source: string;
  /** On hold (apt-mark hold / dnf versionlock): never upgraded, reported. */
  held: boolean;
  /**
   * Epoch seconds: the date of the package list that offers the candidate (apt: the Date of its
   * suite's Release file; dnf: the advisory's date as `dnf updateinfo info` prints it, Issued else Updated). The update has been available at
   * least since then. Absent when the host cannot tell.
   */
  published?: number;
  /** dnf: the advisory that carries it (RHSA-2024:1234, FEDORA-2024-…). */
  advisory?: string;
}

export interface RebootInfo {
  required: boolean;
  /** Why, one line each: "/var/run/reboot-required exists", "kernel 6.1.0-20 installed, 6.1.0-18 running". */
  reasons: string[];
  /** Packages that asked for it (/var/run/reboot-required.pkgs; needs-restarting -r's list). */
  packages: string[];
}

export interface PatchState {
  manager: "apt" | "dnf";
  /** The host's clock (epoch seconds) when probed: ages are computed against it. */
  now: number;
  /** Every pending update, held ones included (held: true), sorted by name. */
  updates: PendingUpdate[];
  /** Every package on hold, whether or not an update is pending for it. */
  held: string[];
  /** Seconds since the package lists were last refreshed; absent when never. */
  listsAge?: number;
  /**
   * The cache age cache_valid_time is compared with, as Ansible's apt computes it (get_cache_mtime):
   * apt, the update-success stamp's mtime when the stamp exists, else the lists folder's; dnf, the
   * newest repomd.xml. Absent when neither exists (Ansible: epoch 0, always stale).
   */
  cacheAge?: number;
  reboot: RebootInfo;
  /** The running kernel and the newest installed one (absent when no kernel package is installed). */
  kernel: { running: string; newest?: string };
  /** Package sources whose list is missing or unreadable ("file:/srv/repo keel-security"). */
  brokenSources: string[];
}

/** What patches.upgrade hands its backend: exactly the updates the diff listed, pinned. */
export interface UpgradePlan {
  /** Refresh the package lists first (update_cache whose cache_valid_time has passed). */
  updateCache: boolean;
  updates: PendingUpdate[];
  autoremove: boolean;
  lockTimeout: number;
}

export interface UpgradeOutcome extends ApplyResult {
  /** Upgraded to exactly the planned version. */
  upgraded: PendingUpdate[];
  /** The candidate changed between probe and apply: not taken, reported. */
  changedSinceProbe: { name: string; planned: string; now: string }[];
}

export interface PatchBackend {
  readonly manager: "apt" | "dnf";
  /** Read-only shell text that prints the records parse() reads. */
  probeScript(): string;
  /** Pure. Throws ModuleError for a host state that makes patching unsafe (interrupted dpkg). */
  parse(stdout: string, rc: number): PatchState;
  /** <0, 0, >0 in the manager's version order. */
  compare(a: string, b: string): number;
  upgrade(host: Host, plan: UpgradePlan): Promise<UpgradeOutcome>;
  /** Whether a reboot is required now (read after an upgrade). */
  rebootRequired(host: Host): Promise<RebootInfo>;
  hold(host: Host, names: string[]): Promise<ApplyResult>;
  unhold(host: Host, names: string[]): Promise<ApplyResult>;
}
