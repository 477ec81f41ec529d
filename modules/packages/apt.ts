// packages.apt: Ansible's apt module. The same logic as packages.package (package.ts) with the
// apt manager named by the module itself (no facts needed), and apt's own arguments: each one is
// implemented, accepted as having nothing to do in keel (noted in its description and in the
// task's explanation), or refused at load with a hint. Checked against Ansible's argument list by
// test/unit/modules/ansible-args.test.ts.
import { packageModule } from "./package-module.js";

// null is "not given", as for every argument of an Ansible module (`pkg:` left empty on a task
// whose `when` is false loads in Ansible).
const name = {
  oneOf: [{ type: "string", minLength: 1 }, { type: "array", items: { type: "string", minLength: 1 } }, { type: "null" }],
};

export default packageModule({
  name: "packages.apt",
  aliases: ["apt"],
  description: "Ensure Debian packages are installed (optionally at a pinned version), at the newest available version, or removed, with apt.",
  managers: ["apt"],
  extraArgs: {
    pkg: { ...name, description: "Alias of name." },
    package: { ...name, description: "Alias of name." },
    force_apt_get: { type: "boolean", description: "Accepted, nothing to do: keel always runs apt-get." },
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
  noted: ["force_apt_get", "auto_install_module_deps", "update_cache_retries", "update_cache_retry_max_delay"],
  refused: {
    deb: "installing a .deb file is not implemented; copy it into an apt repository or use command: dpkg -i",
    dpkg_options: "keel runs dpkg with its own options (--force-confdef --force-confold)",
    force: "keel does not force apt (unauthenticated or downgrading installs); use allow_downgrade for downgrades",
    allow_unauthenticated: "keel installs only authenticated packages",
    "allow-unauthenticated": "keel installs only authenticated packages",
    allow_change_held_packages: "keel does not change held packages; release the hold first (dpkg_selections or command: apt-mark unhold)",
    only_upgrade: "not implemented; use state: latest on installed packages, or the patches.upgrade module",
    upgrade: "whole-system upgrades are the patches.upgrade module's job (keel patch)",
    autoclean: "cleaning apt's cache is not a state keel manages; use command: apt-get autoclean",
    clean: "cleaning apt's cache is not a state keel manages; use command: apt-get clean",
    policy_rc_d: "keel does not install a policy-rc.d; services start as the package's scripts decide",
    fail_on_autoremove: "not implemented; keel's install never autoremoves unless autoremove: true",
  },
});
