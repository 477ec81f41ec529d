// packages.apt: Ansible's apt module. The same logic as packages.package (package.ts) with the
// apt manager named by the module itself (no facts needed), and apt's own arguments: each one is
// implemented (deb: apt-deb.ts; force, allow_*, fail_on_autoremove, clean, autoclean: apt-extra.ts)
// or accepted as having nothing to do in keel (noted in its description and in the task's
// explanation). Checked against Ansible's argument list by test/unit/modules/ansible-args.test.ts.
import { ArgError } from "../../engine/core/errors.js";
import { defineModule, type Change, type HostModule } from "../../engine/core/module.js";
import { normalise, packageModule, parseSpecs, type PackageArgs, type PackageVariant, type PkgOp } from "./package-module.js";
import { DEFAULT_DPKG_OPTIONS, dpkgOptionFlags, dpkgOptions, upgradeMode } from "./backends/apt-upgrade.js";
import type { PkgState } from "./backends/types.js";
import {
  APT_EXTRA_PROPS,
  aptRefusals,
  autocleanChanges,
  autocleanCommand,
  autocleanRuns,
  cleanChanges,
  extraProbe,
  parseExtra,
  type ExtraState,
} from "./apt-extra.js";
import { debApply, debDiff, debExplain, debProbe, debReads, parseDeb, validateDeb, type DebOp, type DebState } from "./apt-deb.js";

// null is "not given", as for every argument of an Ansible module (`pkg:` left empty on a task
// whose `when` is false loads in Ansible).
const name = {
  oneOf: [{ type: "string", minLength: 1 }, { type: "array", items: { type: "string", minLength: 1 } }, { type: "null" }],
};

const VARIANT: PackageVariant = {
  name: "packages.apt",
  aliases: ["apt"],
  description:
    "Ensure Debian packages are installed (optionally at a pinned version), at the newest available version, or removed, with apt; " +
    "or the whole system upgraded (upgrade: dist, full, safe, yes), with the packages it would change listed in check mode and drift.",
  managers: ["apt"],
  extraArgs: {
    pkg: { ...name, description: "Alias of name." },
    package: { ...name, description: "Alias of name." },
    force_apt_get: {
      type: "boolean",
      description:
        "Run apt-get even where aptitude is installed. Without it, as in Ansible, an upgrade of mode yes, safe or full on a host " +
        "with aptitude runs aptitude (safe-upgrade, full-upgrade), simulated by the probe with aptitude -s; without aptitude, apt-get.",
    },
    upgrade: {
      oneOf: [{ enum: ["dist", "full", "no", "safe", "yes"] }, { type: "boolean" }, { type: "null" }],
      description:
        "Upgrade the whole system as Ansible's apt does: dist runs apt-get dist-upgrade; yes (true) and safe run aptitude " +
        "safe-upgrade, full runs aptitude full-upgrade where aptitude is installed (and force_apt_get is not set), else apt-get " +
        "upgrade --with-new-pkgs and dist-upgrade, with --auto-remove when autoremove is true; no (false) does nothing. The probe " +
        "runs the same command with -s (a simulation) and each package it would upgrade, install or remove is a change, so check " +
        "mode and drift name them and a host with nothing to upgrade is converged (aptitude: as Ansible reads it, a run that " +
        "upgrades and installs nothing is no change). update_cache refreshes the index first when there is something to upgrade. " +
        "As in Ansible, a task with upgrade does nothing else: name is refused with it.",
    },
    deb: {
      type: ["string", "null"],
      minLength: 1,
      description:
        "A .deb file on the host (or several, comma-separated), or an http(s) URL the host downloads on every run, as Ansible. " +
        "Installed when the installed version of its package differs from the file's (dpkg-deb -f): its direct dependencies " +
        "that are missing first (apt-get install, marked manual), then dpkg -i with dpkg_options. Older than the installed " +
        "version: fails unless allow_downgrade or force. Only with state present; not with name or upgrade.",
    },
    ...APT_EXTRA_PROPS,
    dpkg_options: {
      type: "string",
      default: DEFAULT_DPKG_OPTIONS,
      description: "dpkg's options, comma-separated, each passed to every apt-get run as -o Dpkg::Options::=--OPTION (checked at load).",
    },
    only_upgrade: {
      type: "boolean",
      default: false,
      description:
        "Upgrade only packages that are installed: a listed package that is not installed is skipped (not a change, as in " +
        "Ansible), and apt-get install runs with --only-upgrade.",
    },
    policy_rc_d: {
      type: ["integer", "null"],
      minimum: 0,
      maximum: 255,
      description:
        "While apt-get runs, /usr/sbin/policy-rc.d is a script answering `exit N` (101: packages start no service); one that was " +
        "there before is moved aside and put back afterwards, also when apt-get fails. null: not touched.",
    },
    auto_install_module_deps: { type: "boolean", description: "Accepted, nothing to do: keel needs no Python modules on the host." },
    update_cache_retries: {
      type: "integer",
      minimum: 0,
      description: "Accepted, not applied: keel runs apt-get update once, and a failed update fails the task.",
    },
    update_cache_retry_max_delay: { type: "integer", minimum: 0, description: "Accepted, not applied (see update_cache_retries)." },
    default_release: {
      type: ["string", "null"],
      description:
        "The release whose packages win (apt-get -t RELEASE, APT::Default-Release): the candidate the probe reads and the version " +
        "install takes are the ones that release pins higher. Empty or null: apt's own preferences, as in Ansible.",
    },
  },
  argAliases: {
    "update-cache": "update_cache",
    "install-recommends": "install_recommends",
    "default-release": "default_release",
    "allow-downgrade": "allow_downgrade",
    allow_downgrades: "allow_downgrade",
    "allow-downgrades": "allow_downgrade",
    "allow-unauthenticated": "allow_unauthenticated",
  },
  noted: ["auto_install_module_deps", "update_cache_retries", "update_cache_retry_max_delay"],
  refused: {},
  validate(args) {
    if (args.dpkg_options !== undefined) dpkgOptions(args.dpkg_options);
    validateDeb(args);
    if (upgradeMode(args.upgrade) !== undefined && args.name !== undefined && !(Array.isArray(args.name) && args.name.length === 0))
      throw new ArgError(
        "upgrade",
        "apt: upgrade and name in one task: Ansible's apt runs only the upgrade and ignores name",
        "give the packages a task of their own",
      );
  },
};

type AptState = PkgState & ExtraState & { deb?: DebState };
type AptOp = PkgOp | DebOp | { op: "clean"; action: true } | { op: "autoclean"; name: string };

const base = packageModule(VARIANT);
const norm = (raw: PackageArgs): PackageArgs => normalise(raw, VARIANT);

/** Which of apt's paths a task takes, as Ansible's main() decides it (deb; autoclean without packages; the rest). */
function path(a: PackageArgs): "deb" | "autoclean" | "packages" {
  if (a.deb !== undefined) return "deb";
  return autocleanRuns(a, parseSpecs(a).length, upgradeMode(a.upgrade) !== undefined) ? "autoclean" : "packages";
}

const isClean = (c: Change<AptOp>) => c.data?.op === "clean";

// apt's paths that packages.package does not have (deb, autoclean), clean before any of them, and
// the checks apt-get -y makes before it acts (a held package, fail_on_autoremove) around the
// package module's logic.
export default defineModule<PackageArgs, AptState, AptOp>({
  ...(base as unknown as HostModule<PackageArgs, AptState, AptOp>),
  resource(raw) {
    const deb = norm(raw).deb;
    return deb !== undefined ? `deb ${deb}` : base.resource(raw);
  },
  footprint(raw, facts) {
    const f = base.footprint!(raw, facts);
    const deb = norm(raw).deb;
    return deb !== undefined ? { ...f, reads: [...f.reads, ...debReads(deb)] } : f;
  },
  probe(raw, facts) {
    const a = norm(raw);
    const p = path(a);
    const installing = a.state !== "absent" && a.state !== "removed";
    const extra = extraProbe(a, p === "packages" ? parseSpecs(a) : [], installing, p === "autoclean");
    const join = (script: string) => (extra ? `${script}\n${extra}` : script);
    if (p === "deb") return { script: join(debProbe(a)), parse: (out) => ({ manager: "apt", packages: {}, deb: parseDeb(out, a), ...parseExtra(out) }) };
    const inner = base.probe(raw, facts);
    return { script: join(inner.script), parse: (out, rc) => ({ ...inner.parse(out, rc), ...parseExtra(out) }) };
  },
  diff(st, raw, facts) {
    const a = norm(raw);
    const p = path(a);
    const clean: Change<AptOp>[] = cleanChanges(st, a);
    if (p === "deb") return [...clean, ...debDiff(st.deb!, a)];
    if (p === "autoclean") return [...clean, ...autocleanChanges(st)];
    const changes = base.diff(st, raw, facts);
    aptRefusals(st, a, changes as unknown as Change<{ op: string }>[]);
    return [...clean, ...changes];
  },
  result(st, raw, facts) {
    return path(norm(raw)) === "packages" ? (base.result?.(st, raw, facts) ?? {}) : {};
  },
  explain(st, raw) {
    const a = norm(raw);
    const p = path(a);
    const text = p === "deb" ? debExplain(st.deb!) : p === "autoclean" ? "no cached package file to autoclean (apt-get -s autoclean)" : base.explain!(st, raw);
    return a.clean === true ? `${text}; no downloaded file in apt's cache to clean` : text;
  },
  async apply(host, raw, changes, st) {
    const a = norm(raw);
    const p = path(a);
    const rest = changes.filter((c) => !isClean(c));
    // apt-get clean alone: Ansible runs it and reports ok
    if (rest.length === 0) {
      const r = await host.run("apt-get clean");
      return { stdout: r.stdout, stderr: r.stderr, changed: false };
    }
    if (p === "deb") return debApply(host, a, rest as Change<DebOp>[]);
    if (p === "autoclean") {
      const cmd = autocleanCommand(dpkgOptionFlags(dpkgOptions(a.dpkg_options ?? DEFAULT_DPKG_OPTIONS)), a);
      const r = await host.run(a.clean === true ? `apt-get clean && ${cmd}` : cmd);
      return { stdout: r.stdout, stderr: r.stderr };
    }
    return base.apply(host, raw, rest as Change<PkgOp>[], st);
  },
});
