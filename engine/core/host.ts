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
  /** ansible_port / port was set: otherwise ssh_config's Port applies (as ssh gets no -p from Ansible then). */
  portSet?: boolean;
  /** ssh options of ansible_ssh_common_args then ansible_ssh_extra_args, in ssh's command-line order. */
  sshOptions?: SshOpt[];
  /** -F FILE in ansible_ssh_common_args / _extra_args. */
  sshConfigFile?: string;
  /** Set when connecting: key files from ssh_config's IdentityFile, tried after privateKeyFile. */
  identityFiles?: string[];
  /** Set when connecting: how the host is reached (ProxyJump or ProxyCommand), absent for a direct connection. */
  via?: Via;
  /** Set when connecting: IdentitiesOnly yes (ssh-agent keys only when they are one of the key files). */
  identitiesOnly?: boolean;
  /** Set when connecting: the algorithm lists ssh_config or `-o` set (Ciphers, KexAlgorithms, MACs, HostKeyAlgorithms, PubkeyAcceptedAlgorithms). */
  algorithms?: AlgorithmChoice;
  /** Set when connecting: ServerAliveInterval (0 = none) and ServerAliveCountMax. */
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  /** All merged variables of the host (groups then host), for templates. */
  vars: Record<string, unknown>;
  groups: string[];
}

/**
 * The algorithms keel offers when an ssh option restricts them (engine/transport/algorithm-options.ts):
 * OpenSSH's list for the option, restricted to what keel's client implements. Absent: keel's defaults.
 */
export interface AlgorithmChoice {
  cipher?: string[];
  kex?: string[];
  hmac?: string[];
  /** HostKeyAlgorithms: offered as given (known key types are not moved first, as OpenSSH does not when it is set). */
  serverHostKey?: string[];
  /** PubkeyAcceptedAlgorithms: keys of other types are not offered. */
  pubkey?: string[];
}

/** One ssh option as ssh sees it: from a config file or the command line (`-o …`). */
export interface SshOpt {
  /** lowercase keyword: "proxyjump" */
  key: string;
  value: string;
  /** "/root/.ssh/config:12" or "ansible_ssh_common_args (-o ProxyJump=…)" */
  source: string;
}

/** A jump host, resolved like any host (its own ssh_config entry, its own way of being reached). */
export interface JumpHost {
  /** The name in the ProxyJump value. */
  name: string;
  address: string;
  port: number;
  user?: string;
  identityFiles: string[];
  /** From the jump host's own ssh_config; otherwise the target's. */
  knownHostsFile?: string;
  hostKeyPolicy?: HostKeyPolicy;
  connectTimeoutMs?: number;
  algorithms?: AlgorithmChoice;
  identitiesOnly?: boolean;
  via?: Via;
  /** Where the ProxyJump came from, for messages. */
  source: string;
}

export type Via = { kind: "jump"; host: JumpHost } | { kind: "command"; command: string; source: string };
