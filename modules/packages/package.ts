// packages.package: ensure packages are installed, at the newest version, or removed, with the
// manager the host's facts name (or the probe finds). Arguments follow Ansible's package module;
// the implementation, shared with packages.apt and packages.dnf, is package-module.ts.
import { packageModule } from "./package-module.js";

const ALL_MANAGERS = ["apt", "dnf", "yum", "apk"];

export default packageModule({
  name: "packages.package",
  aliases: ["package"],
  description:
    "Ensure packages are installed (optionally at a pinned version), at the newest available version, or removed. " +
    "The package manager (apt, dnf/yum, apk) is the one the host's facts name, or the one the probe finds without facts.",
  managers: ALL_MANAGERS,
  extraArgs: {
    use: { description: "Ansible's choice of backend module: `auto` (the default) is what keel does; another value stops the load.", enum: ["auto"] },
  },
  argAliases: {},
  refused: {},
});
