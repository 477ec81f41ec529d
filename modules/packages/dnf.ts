// packages.dnf: Ansible's dnf and yum modules. The same logic as packages.package (package.ts)
// with the dnf or yum manager named by the module itself (no facts needed), and their own
// arguments: each one is implemented, accepted as having nothing to do in keel (noted in its
// description and in the task's explanation), or refused at load with a hint. Checked against
// Ansible's argument lists by test/unit/modules/ansible-args.test.ts.
import { packageModule } from "./package-module.js";

const name = {
  oneOf: [
    { type: "string", minLength: 1 },
    { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
  ],
};
const list = { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] };

export default packageModule({
  name: "packages.dnf",
  aliases: ["dnf", "yum"],
  description:
    "Ensure RPM packages are installed (optionally at a pinned version), at the newest available version, or removed, with dnf (or yum where there is no dnf).",
  managers: ["dnf", "yum"],
  extraArgs: {
    pkg: { ...name, description: "Alias of name." },
    enablerepo: { ...list, description: "Accepted, not applied: keel's dnf uses the repositories enabled on the host." },
    disablerepo: { ...list, description: "Accepted, not applied: keel's dnf uses the repositories enabled on the host." },
    disable_plugin: { ...list, description: "Accepted, not applied: keel runs dnf with the host's plugins." },
    enable_plugin: { ...list, description: "Accepted, not applied: keel runs dnf with the host's plugins." },
    install_repoquery: { type: "boolean", description: "Accepted, nothing to do: keel needs no repoquery package." },
    use_backend: { type: "string", description: "Accepted: keel picks dnf where it exists, else yum." },
    validate_certs: { type: "boolean", description: "Accepted, not applied: keel uses the host's dnf configuration (sslverify)." },
    sslverify: { type: "boolean", description: "Accepted, not applied: keel uses the host's dnf configuration." },
    cacheonly: { type: "boolean", description: "Accepted, not applied: keel lets dnf refresh expired metadata as configured." },
  },
  argAliases: {
    install_weak_deps: "install_recommends",
    "expire-cache": "update_cache",
  },
  noted: ["enablerepo", "disablerepo", "disable_plugin", "enable_plugin", "install_repoquery", "use_backend", "validate_certs", "sslverify", "cacheonly"],
  refused: {
    allowerasing: "keel does not let dnf erase packages to resolve conflicts; remove them with state: absent first",
    bugfix: "update selection by advisory is the patches.upgrade module's job (keel patch)",
    security: "security updates are the patches.upgrade module's job (keel patch)",
    conf_file: "keel uses the host's dnf configuration",
    disable_excludes: "keel uses the host's dnf excludes",
    disable_gpg_check: "keel installs only signed packages",
    download_dir: "downloading without installing is not implemented",
    download_only: "downloading without installing is not implemented",
    exclude: "not implemented; set exclude= in the host's dnf configuration",
    installroot: "keel manages the host's own root only",
    list: "listing is not a state; use package_facts or command: dnf list",
    nobest: "keel installs the best candidate dnf offers",
    releasever: "keel uses the host's releasever",
    skip_broken: "keel does not skip packages it was asked to install",
    update_only: "not implemented; use state: latest on installed packages, or the patches.upgrade module",
  },
});
