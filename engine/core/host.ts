// What the inventory says about one host, as the transport needs it.

export type HostKeyPolicy = "yes" | "no" | "accept-new";

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
  /**
   * Host key policy of this host, as OpenSSH's StrictHostKeyChecking: from `-o StrictHostKeyChecking=…`
   * in ansible_ssh_common_args/_extra_args ("yes": unknown and changed keys refused; "accept-new":
   * unknown keys recorded; "no": not checked, nothing recorded).
   */
  strictHostKeyChecking?: HostKeyPolicy;
  /** ansible_host_key_checking / ansible_ssh_host_key_checking (false: not checked). */
  hostKeyChecking?: boolean;
  connectTimeoutMs?: number;
  /** All merged variables of the host (groups then host), for templates. */
  vars: Record<string, unknown>;
  groups: string[];
}
