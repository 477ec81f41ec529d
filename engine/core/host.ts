// What the inventory says about one host, as the transport needs it.

export interface HostSpec {
  /** Inventory name. */
  name: string;
  /** Address to connect to (ansible_host / host), defaults to name. */
  address: string;
  port: number;
  user?: string;
  connection: "ssh" | "local";
  privateKeyFile?: string;
  password?: string;
  become: boolean;
  becomeUser: string;
  becomeMethod: "sudo";
  becomePassword?: string;
  /** known_hosts file for this host (keel_known_hosts / ansible_ssh_known_hosts_file). */
  knownHostsFile?: string;
  connectTimeoutMs?: number;
  /** All merged variables of the host (groups then host), for templates. */
  vars: Record<string, unknown>;
  groups: string[];
}
