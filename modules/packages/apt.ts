// packages.apt: Ansible's apt module. The same logic as packages.package (package.ts) with the
// apt manager named by the module itself (no facts needed), and apt's own arguments: each one is
// implemented, accepted as having nothing to do in keel (noted in its description and in the
// task's explanation), or refused at load with a hint. Checked against Ansible's argument list by
// test/unit/modules/ansible-args.test.ts.
import { ArgError } from "../../engine/core/errors.js";
import { packageModule } from "./package-module.js";
import { DEFAULT_DPKG_OPTIONS, dpkgOptions, upgradeMode } from "./backends/apt-upgrade.js";

// null is "not given", as for every argument of an Ansible module (`pkg:` left empty on a task
// whose `when` is false loads in Ansible).
const name = {
  oneOf: [{ type: "string", minLength: 1 }, { type: "array", items: { type: "string", minLength: 1 } }, { type: "null" }],
};

export default packageModule({
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
        "keel always runs apt-get. Without it, an upgrade of mode yes, safe or full on a host with aptitude is one Ansible runs " +
        "with aptitude (safe-upgrade, full-upgrade): keel runs apt-get's equivalent (upgrade --with-new-pkgs, dist-upgrade, which " +
        "is what Ansible runs with force_apt_get) and says so in the task's explanation.",
    },
    upgrade: {
      oneOf: [{ enum: ["dist", "full", "no", "safe", "yes"] }, { type: "boolean" }, { type: "null" }],
      description:
        "Upgrade the whole system as Ansible's apt does: dist and full run apt-get dist-upgrade, yes (true) and safe run apt-get " +
        "upgrade --with-new-pkgs, with --auto-remove when autoremove is true; no (false) does nothing. The probe runs the same " +
        "command with -s (a simulation) and each package it would upgrade, install or remove is a change, so check mode and drift " +
        "name them and a host with nothing to upgrade is converged. update_cache refreshes the index first when there is something " +
        "to upgrade. As in Ansible, a task with upgrade does nothing else: name is refused with it.",
    },
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
  },
  noted: ["auto_install_module_deps", "update_cache_retries", "update_cache_retry_max_delay"],
  refused: {
    deb: "installing a .deb file is not implemented; copy it into an apt repository or use command: dpkg -i",
    force: "keel does not force apt (unauthenticated or downgrading installs); use allow_downgrade for downgrades",
    allow_unauthenticated: "keel installs only authenticated packages",
    "allow-unauthenticated": "keel installs only authenticated packages",
    allow_change_held_packages: "keel does not change held packages; release the hold first (dpkg_selections or command: apt-mark unhold)",
    autoclean: "cleaning apt's cache is not a state keel manages; use command: apt-get autoclean",
    clean: "cleaning apt's cache is not a state keel manages; use command: apt-get clean",
    fail_on_autoremove: "not implemented; keel's install never autoremoves unless autoremove: true",
  },
  validate(args) {
    if (args.dpkg_options !== undefined) dpkgOptions(args.dpkg_options);
    if (upgradeMode(args.upgrade) !== undefined && args.name !== undefined && !(Array.isArray(args.name) && args.name.length === 0))
      throw new ArgError(
        "upgrade",
        "apt: upgrade and name in one task: Ansible's apt runs only the upgrade and ignores name",
        "give the packages a task of their own",
      );
  },
});
