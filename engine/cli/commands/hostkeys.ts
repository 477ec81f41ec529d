// One warning line per run when host key checking is off for some hosts (StrictHostKeyChecking=no
// in their ssh args or in ansible.cfg's ssh_args, host_key_checking = False,
// ANSIBLE_HOST_KEY_CHECKING=False): keel then neither verifies who answers nor records any key.
import type { CliIO } from "../io.js";
import type { Inventory } from "../../inventory/index.js";
import type { HostSpec } from "../../core/host.js";
import { uncheckedHosts, type ConnectSettings } from "../../run/connect.js";

const MAX_NAMED = 20;

/** The warning text for these hosts ("" when every host is checked). */
export function uncheckedWarning(names: string[]): string {
  if (names.length === 0) return "";
  const shown = names.length > MAX_NAMED ? `${names.slice(0, MAX_NAMED).join(", ")} and ${names.length - MAX_NAMED} more` : names.join(", ");
  return `warning: host key checking is disabled for ${names.length} host${names.length === 1 ? "" : "s"} (${shown}): their identity is not verified and no key is recorded\n`;
}

/** Print the warning for the hosts of the inventory this command may connect to. */
export function warnUncheckedHosts(
  io: CliIO,
  inv: Inventory,
  c: { limit?: string | undefined; run: Pick<ConnectSettings, "acceptNewHostKeys" | "hostKeyChecking" | "sshArgs" | "connection"> },
): void {
  const names = c.limit ? inv.match(c.limit) : inv.match("all");
  const specs: HostSpec[] = [];
  for (const n of names) {
    try {
      specs.push(inv.host(n));
    } catch {
      // an invalid host is reported by the command itself
    }
  }
  io.err(uncheckedWarning(uncheckedHosts(specs, c.run)));
}
