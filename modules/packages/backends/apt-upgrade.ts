// apt's whole-system upgrade (Ansible's apt `upgrade:`), its dpkg options and its policy-rc.d, as
// ansible-core 2.14's apt module has them. Pure: the command for each mode, the parser of
// `apt-get -s` (the probe simulates exactly the command apply runs), the dpkg options and the
// shell text that installs a policy-rc.d around apply's commands and restores the old one.
import { shq } from "../../../engine/core/shell.js";
import { ArgError, ModuleError } from "../../../engine/core/errors.js";
import type { Change } from "../../../engine/core/module.js";
import type { PkgState } from "./types.js";

/** Ansible's choices (true/false are YAML's yes/no, which Ansible maps back to them). */
export type UpgradeMode = "dist" | "full" | "safe" | "yes";

/** `upgrade:` normalised: undefined for no/false/unset. */
export function upgradeMode(v: unknown): UpgradeMode | undefined {
  if (v === true) return "yes";
  if (v === false || v === "no" || v === undefined || v === null) return undefined;
  return v as UpgradeMode;
}

/**
 * The apt-get subcommand Ansible runs for a mode (its apt-get branch: dist, and full with
 * force_apt_get, run dist-upgrade; yes/safe run upgrade --with-new-pkgs). With aptitude installed
 * and no force_apt_get, Ansible runs aptitude safe-upgrade (yes, safe) or full-upgrade (full), and
 * so does keel (aptitudeFlags); apt-get is the fallback where aptitude is not installed.
 */
export function upgradeCommand(mode: UpgradeMode, autoremove: boolean): string {
  const sub = mode === "dist" || mode === "full" ? "dist-upgrade" : "upgrade --with-new-pkgs";
  return autoremove ? `${sub} --auto-remove` : sub;
}

/** The command that simulated the upgrade (and that apply runs), as the explanation names it. */
export function upgradeRunner(st: PkgState, mode: UpgradeMode, a: UpgradeArgs): string {
  return st.upgrade?.via === "aptitude" ? `aptitude -s ${aptitudeFlags(mode, a)}` : `apt-get -s ${upgradeFlags(mode, a)}`;
}

/** One package a simulated upgrade would touch. */
export interface UpgradeItem {
  name: string;
  action: "upgrade" | "install" | "remove";
  /** The installed version (upgrade, remove). */
  from?: string;
  /** The version it would get (upgrade, install). */
  to?: string;
}

/** `apt-get -s` lines → what the run would do ("Inst p [old] (new …)", "Inst p (new …)", "Remv p [old]"); Conf lines repeat Inst. */
export function parseSimulation(lines: string[]): UpgradeItem[] {
  const items: UpgradeItem[] = [];
  for (const line of lines) {
    const inst = /^Inst (\S+) (?:\[(\S+)\] )?\((\S+)/.exec(line);
    if (inst) {
      const [, name, from, to] = inst;
      items.push(from !== undefined ? { name: name!, action: "upgrade", from, to: to! } : { name: name!, action: "install", to: to! });
      continue;
    }
    const remv = /^Remv (\S+)(?: \[(\S+)\])?/.exec(line);
    if (remv) items.push(remv[2] !== undefined ? { name: remv[1]!, action: "remove", from: remv[2] } : { name: remv[1]!, action: "remove" });
  }
  return items;
}

/**
 * `aptitude -s -V` lines → what the run would do. aptitude lists packages under headings ("The
 * following packages will be upgraded:", "… NEW packages will be installed:", "… will be REMOVED:"),
 * each as `name{flags} [old -> new]` or `name{flags} [version]`, several to a line. (Ansible reports
 * a run that only removes as unchanged, APTITUDE_ZERO; keel reports the removals, as for apt-get.)
 */
export function parseAptitudeSimulation(lines: string[]): UpgradeItem[] {
  const items: UpgradeItem[] = [];
  let action: UpgradeItem["action"] | undefined;
  for (const line of lines) {
    if (!/^\s/.test(line)) {
      action = /will be upgraded:$/.test(line)
        ? "upgrade"
        : /NEW packages will be installed:$/.test(line)
          ? "install"
          : /will be REMOVED:$/.test(line)
            ? "remove"
            : undefined;
      continue;
    }
    if (action === undefined) continue;
    for (const m of line.matchAll(/(\S+?)(?:\{[a-zA-Z]+\})? \[([^\]]+)\]/g)) {
      const [, name, ver] = m;
      const arrow = /^(\S+) -> (\S+)$/.exec(ver!);
      if (action === "upgrade") items.push(arrow ? { name: name!, action, from: arrow[1]!, to: arrow[2]! } : { name: name!, action, to: ver! });
      else if (action === "install") items.push({ name: name!, action, to: ver! });
      else items.push({ name: name!, action, from: ver! });
    }
  }
  return items;
}

export const DEFAULT_DPKG_OPTIONS = "force-confdef,force-confold";

// A dpkg long option without its dashes, with an optional value (path-exclude=/usr/share/doc/*).
const DPKG_OPTION_RE = /^[a-z][a-z0-9-]*(=[^\s'"\\`$;&|<>()]+)?$/;

/** The comma-separated dpkg_options split and checked (Ansible splits on ","); an error text, or the options. */
export function parseDpkgOptions(value: string): string[] | string {
  const opts = value.split(",").map((o) => o.trim());
  const bad = opts.find((o) => !DPKG_OPTION_RE.test(o));
  if (bad !== undefined)
    return bad === "" ? `dpkg_options '${value}' has an empty option` : `dpkg_options: '${bad}' is not a dpkg option (a long option without its dashes)`;
  return opts;
}

/** dpkg_options split, or the load error it is (validate has refused a bad value before anything runs). */
export function dpkgOptions(value: string): string[] {
  const opts = parseDpkgOptions(value);
  if (typeof opts === "string") throw new ArgError("dpkg_options", opts, "e.g. dpkg_options: force-confdef,force-confold");
  return opts;
}

/** `-o Dpkg::Options::=--OPT` for each option, as Ansible's expand_dpkg_options (quoted for sh). */
export function dpkgOptionFlags(opts: readonly string[]): string {
  return opts.map((o) => `-o ${/^[A-Za-z0-9=:_.,/+-]+$/.test(o) ? `Dpkg::Options::=--${o}` : shq(`Dpkg::Options::=--${o}`)}`).join(" ");
}

export const POLICY_RC_D = "/usr/sbin/policy-rc.d";

/**
 * The commands run in one subshell with /usr/sbin/policy-rc.d answering `exit N` (101: no service
 * starts), as Ansible's PolicyRcD: a policy-rc.d already there is moved aside into a temporary
 * folder first and put back afterwards; one keel wrote is removed. The EXIT trap restores on
 * failure too, and a failed restore fails the task. Commands are joined with &&.
 */
export function withPolicyRcD(cmds: string[], code: number, p: string = POLICY_RC_D): string {
  return [
    "(",
    `_kp=${shq(p)}; _kb=`,
    `if [ -e "$_kp" ] || [ -L "$_kp" ]; then _kb=$(mktemp -d /tmp/keel-policy-rc.d.XXXXXX) && mv "$_kp" "$_kb/policy-rc.d" || exit 1; fi`,
    `_krestore() { if [ -n "$_kb" ]; then mv -f "$_kb/policy-rc.d" "$_kp" && rmdir "$_kb"; else rm -f "$_kp"; fi; }`,
    `trap '_krc=$?; _krestore || { echo "keel: could not restore $_kp" >&2; _krc=1; }; exit $_krc' EXIT`,
    "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM",
    `printf '#!/bin/sh\\nexit %d\\n' ${code} > "$_kp" && chmod 0755 "$_kp" || exit 1`,
    cmds.join(" && "),
    ")",
  ].join("\n");
}

/** The upgrade arguments Ansible's upgrade() takes from the task. */
export interface UpgradeArgs {
  upgrade?: unknown;
  autoremove?: boolean;
  allow_downgrade?: boolean;
  default_release?: string | null;
  force?: boolean;
  fail_on_autoremove?: boolean;
  allow_unauthenticated?: boolean;
  force_apt_get?: boolean;
}

/**
 * The upgrade's apt-get arguments after `-y`/`-s` and the dpkg options, in Ansible's order:
 * force (--force-yes), fail_on_autoremove (--no-remove), --allow-unauthenticated, --allow-downgrades,
 * the subcommand, -t RELEASE.
 */
export function upgradeFlags(mode: UpgradeMode, a: UpgradeArgs): string {
  const parts = [upgradeCommand(mode, a.autoremove === true)];
  if (a.allow_downgrade === true) parts.unshift("--allow-downgrades");
  if (a.allow_unauthenticated === true) parts.unshift("--allow-unauthenticated");
  if (a.fail_on_autoremove === true) parts.unshift("--no-remove");
  if (a.force === true) parts.unshift("--force-yes");
  if (a.default_release) parts.push(`-t ${shq(a.default_release)}`);
  return parts.join(" ");
}

/**
 * The aptitude arguments Ansible runs instead when aptitude is installed (yes/safe: safe-upgrade,
 * full: full-upgrade; never for dist or with force_apt_get): force is --assume-yes --allow-untrusted
 * there; autoremove is not passed. Undefined when Ansible would run apt-get whatever the host has.
 */
export function aptitudeFlags(mode: UpgradeMode, a: UpgradeArgs): string | undefined {
  if (mode === "dist" || a.force_apt_get === true) return undefined;
  const parts = [mode === "full" ? "full-upgrade" : "safe-upgrade"];
  if (a.allow_downgrade === true) parts.unshift("--allow-downgrades");
  if (a.allow_unauthenticated === true) parts.unshift("--allow-unauthenticated");
  if (a.fail_on_autoremove === true) parts.unshift("--no-remove");
  if (a.force === true) parts.unshift("--assume-yes --allow-untrusted");
  if (a.default_release) parts.push(`-t ${shq(a.default_release)}`);
  return parts.join(" ");
}

/**
 * The diff of a whole-system upgrade: one change per package the simulation lists, so check mode
 * and drift name them; [] (converged) when apt-get would do nothing. A failed simulation (broken
 * dependencies, a bad -t release) fails the task with apt-get's words.
 */
export function upgradeChanges(st: PkgState, mode: UpgradeMode): Change<{ op: "system_upgrade"; name: string }>[] {
  const up = st.upgrade;
  if (up === undefined) throw new ModuleError("apt upgrade: the probe did not simulate the upgrade");
  const how = up.via === "aptitude" ? `aptitude ${mode === "full" ? "full-upgrade" : "safe-upgrade"}` : upgradeCommand(mode, false);
  if (up.error !== undefined) throw new ModuleError(`${up.via === "aptitude" ? "" : "apt-get -s "}${how} failed: ${up.error}`);
  return up.items.map((it) => {
    const data = { op: "system_upgrade" as const, name: it.name };
    if (it.action === "upgrade") return { summary: `package ${it.name} ${it.from} → ${it.to} (${how})`, field: "version", before: it.from, after: it.to, data };
    if (it.action === "install") return { summary: `package ${it.name} new, ${it.to} (${how})`, field: "state", before: "absent", after: it.to, data };
    return {
      summary: `package ${it.name} ${it.from ?? "installed"}, to remove (${how})`,
      field: "state",
      before: it.from ?? "installed",
      after: "absent",
      data,
    };
  });
}

/**
 * The whole-system upgrade's arguments when upgrade is set: the probe simulates them (apt-get's, and
 * aptitude's where aptitude is installed and Ansible would use it), apply runs the one the probe
 * simulated (`st`: aptitude's as "aptitude ARGS").
 */
export function upgradeProbe(a: UpgradeArgs, st?: PkgState): { upgrade?: string; aptitudeUpgrade?: string } {
  const mode = upgradeMode(a.upgrade);
  if (mode === undefined) return {};
  const viaAptitude = aptitudeFlags(mode, a);
  if (st !== undefined) return { upgrade: st.upgrade?.via === "aptitude" && viaAptitude ? `aptitude ${viaAptitude}` : upgradeFlags(mode, a) };
  return viaAptitude ? { upgrade: upgradeFlags(mode, a), aptitudeUpgrade: viaAptitude } : { upgrade: upgradeFlags(mode, a) };
}
