// From a host's merged variables to the HostSpec the transport needs. keel's own names and
// Ansible's connection variables are both accepted, so an existing Ansible inventory works
// unchanged; when both are set, keel's name wins. Pure.
import { homedir } from "node:os";
import { InputError, type SourcePos } from "../core/errors.js";
import type { HostKeyPolicy, HostSpec } from "../core/host.js";
import { errorAt } from "../core/yaml.js";
import type { VarLayer } from "./model.js";
import { renderString } from "../template/index.js";
import { shlexSplit } from "./shlex.js";
import { parseSshArgs, type SshArgs } from "../transport/ssh-args.js";
import { expandHome, passwdHome } from "../transport/ssh-config.js";

/** keel name first, then its Ansible aliases (in order of preference). */
export const CONNECTION_VARS = {
  address: ["host", "ansible_host", "ansible_ssh_host"],
  port: ["port", "ansible_port", "ansible_ssh_port"],
  user: ["user", "ansible_user", "ansible_ssh_user"],
  privateKeyFile: ["private_key_file", "ansible_ssh_private_key_file", "ansible_private_key_file"],
  connection: ["connection", "ansible_connection"],
  password: ["password", "ansible_password", "ansible_ssh_pass", "ansible_ssh_password"],
  become: ["become", "ansible_become"],
  becomeUser: ["become_user", "ansible_become_user"],
  becomeMethod: ["become_method", "ansible_become_method"],
  becomePassword: ["become_password", "ansible_become_password", "ansible_become_pass"],
  knownHostsFile: ["known_hosts", "keel_known_hosts"],
  connectTimeout: ["connect_timeout", "ansible_ssh_timeout", "ansible_timeout"],
  hostKeyChecking: ["host_key_checking", "ansible_host_key_checking", "ansible_ssh_host_key_checking"],
} as const;

const TRUE = new Set(["y", "yes", "on", "1", "true", "t"]);
const FALSE = new Set(["n", "no", "off", "0", "false", "f"]);

export function hostSpec(name: string, layer: VarLayer, groups: string[], implicitLocal: boolean): HostSpec {
  const vars = layer.vars;
  // Connection variables may be templates (`ansible_host: "{{ inventory_hostname }}.{{ domain }}"`),
  // rendered with the host's variables as Ansible does.
  const tvars = {
    ...vars,
    inventory_hostname: name,
    inventory_hostname_short: name.split(".")[0],
    group_names: groups.filter((g) => g !== "all" && g !== "ungrouped"),
  };
  const get = (names: readonly string[]): { key: string; value: unknown; pos?: SourcePos } | undefined => {
    for (const k of names) {
      if (k in vars && vars[k] !== null && vars[k] !== undefined) {
        const pos = layer.pos.get(k);
        const raw = vars[k];
        const value = typeof raw === "string" && raw.includes("{{") ? renderString(raw, tvars, pos ?? { file: `host '${name}'`, line: 0, col: 0 }) : raw;
        return { key: k, value, pos };
      }
    }
    return undefined;
  };
  const fail = (v: { key: string; pos?: SourcePos }, message: string, hint?: string): never => {
    const msg = `host '${name}': ${v.key} ${message}`;
    throw v.pos ? errorAt(v.pos, msg, hint) : new InputError(msg, undefined, hint);
  };
  const str = (names: readonly string[]): string | undefined => {
    const v = get(names);
    if (!v) return undefined;
    if (typeof v.value === "string") return v.value;
    if (typeof v.value === "number") return String(v.value);
    return fail(v, `must be a string, found ${typeOf(v.value)}`, "quote the value");
  };
  const bool = (names: readonly string[]): boolean | undefined => {
    const v = get(names);
    if (!v) return undefined;
    if (typeof v.value === "boolean") return v.value;
    const s = String(v.value).toLowerCase();
    if (typeof v.value !== "object" && TRUE.has(s)) return true;
    if (typeof v.value !== "object" && FALSE.has(s)) return false;
    return fail(v, `must be a boolean, found ${typeOf(v.value)}`, "use true or false");
  };

  const spec: HostSpec = {
    name,
    address: str(CONNECTION_VARS.address) ?? name,
    port: 22,
    connection: "ssh",
    become: bool(CONNECTION_VARS.become) ?? false,
    becomeUser: str(CONNECTION_VARS.becomeUser) ?? "root",
    becomeMethod: "sudo",
    vars: { ...vars },
    groups,
  };

  const port = get(CONNECTION_VARS.port);
  if (port) {
    const v = port.value;
    const n = typeof v === "number" ? v : typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n)) fail(port, `must be an integer, found ${typeOf(v)}`, "write the port as a number, e.g. 2222");
    if (n < 1 || n > 65535) fail(port, `must be between 1 and 65535, found ${n}`);
    spec.port = n;
    spec.portSet = true;
  }

  const conn = get(CONNECTION_VARS.connection);
  if (conn) {
    const c = typeof conn.value === "string" ? conn.value : fail(conn, `must be a string, found ${typeOf(conn.value)}`, "use local or ssh");
    if (c === "local") spec.connection = "local";
    else if (c === "ssh" || c === "smart" || c === "paramiko" || c === "paramiko_ssh") spec.connection = "ssh";
    else fail(conn, `'${c}' is not supported`, "keel connects with ssh or local (ssh, smart and paramiko all mean ssh)");
  } else if (implicitLocal) spec.connection = "local";

  const user = str(CONNECTION_VARS.user);
  if (user !== undefined) spec.user = user;
  const key = str(CONNECTION_VARS.privateKeyFile);
  if (key !== undefined) spec.privateKeyFile = expandTilde(key);
  const password = str(CONNECTION_VARS.password);
  if (password !== undefined) spec.password = password;
  const bpw = str(CONNECTION_VARS.becomePassword);
  if (bpw !== undefined) spec.becomePassword = bpw;

  const method = get(CONNECTION_VARS.becomeMethod);
  if (method && method.value !== "sudo") {
    fail(method, `'${String(method.value)}' is not supported`, "keel only becomes another user with sudo; use become_method: sudo");
  }

  const args = refuseUnhonoured(vars, (k, message, hint) => fail({ key: k, pos: layer.pos.get(k) }, message, hint));
  if (args.opts.length > 0) spec.sshOptions = args.opts;
  if (args.configFile !== undefined) spec.sshConfigFile = expandTilde(args.configFile);
  // -o UserKnownHostsFile goes to ssh as it is, and ssh expands its `~` from the passwd entry
  const khVar = str(CONNECTION_VARS.knownHostsFile);
  const khArg = khVar === undefined ? knownHostsFromSshArgs(vars) : undefined;
  if (khVar !== undefined) spec.knownHostsFile = expandTilde(khVar);
  else if (khArg !== undefined) spec.knownHostsFile = expandHome(khArg, passwdHome());
  const strict = sshOptionOf(argsOf(vars), "StrictHostKeyChecking");
  if (strict !== undefined) spec.strictHostKeyChecking = hostKeyPolicy(strict)!;
  const hkc = bool(CONNECTION_VARS.hostKeyChecking);
  if (hkc !== undefined) spec.hostKeyChecking = hkc;

  const to = get(CONNECTION_VARS.connectTimeout);
  if (to) {
    const v = to.value;
    const n = typeof v === "number" ? v : typeof v === "string" && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(n) || n <= 0) fail(to, `must be a positive number of seconds, found ${typeOf(v)}`, "e.g. connect_timeout: 10");
    spec.connectTimeoutMs = Math.round(n * 1000);
  }
  return spec;
}

/**
 * Ansible connection variables that change how or where it connects, which keel does not honour:
 * dropping them silently would connect somewhere else or differently than the user asked (a
 * ProxyJump ignored means a direct connection). Each one stops the load (issue 10 #8). Variables
 * about Python (`ansible_python_interpreter`) or transfer tuning (`ansible_pipelining`) do not
 * change what keel does, and are accepted.
 */
const UNHONOURED: Record<string, string> = {
  ansible_ssh_args: "keel does not run the ssh binary; remove it (keel's own SSH settings are the connection variables in the README)",
  ansible_ssh_executable: "keel connects with its own SSH client (ssh2), not an ssh binary; remove it",
  ansible_sftp_extra_args: "keel does not use sftp; remove it",
  ansible_scp_extra_args: "keel does not use scp; remove it",
  ansible_become_flags: "keel runs sudo with its own flags; remove it",
  ansible_become_exe: "keel runs sudo from the PATH; remove it",
  ansible_shell_executable: "keel runs POSIX /bin/sh; remove it",
  ansible_shell_type: "keel needs a POSIX sh on the host; remove it",
};

/** ansible_ssh_common_args then ansible_ssh_extra_args (ssh's command-line order), checked and parsed. */
function refuseUnhonoured(vars: Record<string, unknown>, fail: (key: string, message: string, hint: string) => never): SshArgs {
  for (const [k, hint] of Object.entries(UNHONOURED)) {
    if (k in vars && vars[k] !== null && vars[k] !== undefined && vars[k] !== "") fail(k, "is not supported by keel", hint);
  }
  const out: SshArgs = { opts: [] };
  for (const k of ["ansible_ssh_common_args", "ansible_ssh_extra_args"]) {
    const v = vars[k];
    if (v === null || v === undefined || v === "") continue;
    if (typeof v !== "string") fail(k, "must be a string", "quote the value");
    const a = parseSshArgs(v as string, k, (message, hint) => fail(k, message, hint));
    out.opts.push(...a.opts);
    out.configFile ??= a.configFile;
  }
  return out;
}

/**
 * One ssh argument string (ansible.cfg's ssh_args): any option keel does not honour stops the
 * load through `fail` (issue 10 #8); the options keel honours are returned.
 */
export function checkSshArgs(v: string, failArg: (message: string, hint: string) => never, label = "ssh_args"): SshArgs {
  return parseSshArgs(v, label, failArg);
}

/** OpenSSH's StrictHostKeyChecking values as keel's policy ("ask" cannot ask: it refuses, as "yes"). */
export function hostKeyPolicy(value: string): HostKeyPolicy | undefined {
  const v = value.trim().toLowerCase();
  if (v === "yes" || v === "ask") return "yes";
  if (v === "no" || v === "off") return "no";
  if (v === "accept-new") return "accept-new";
  return undefined;
}

/** The host's ssh argument strings in ansible's command-line order: common args, then extra args. */
function argsOf(vars: Record<string, unknown>): string[] {
  return ["ansible_ssh_common_args", "ansible_ssh_extra_args"].map((k) => vars[k]).filter((v): v is string => typeof v === "string");
}

/**
 * The value of `-o NAME=VALUE` (also `-oNAME=VALUE`, `-o "NAME VALUE"`) in ssh argument strings:
 * the FIRST one, as OpenSSH takes the first value it obtains for each option.
 */
export function sshOptionOf(argStrings: readonly string[], name: string): string | undefined {
  const want = name.toLowerCase();
  for (const text of argStrings) {
    let words: string[];
    try {
      words = shlexSplit(text).map((t) => t.text);
    } catch {
      continue;
    }
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const opt = w === "-o" ? words[++i] : w.startsWith("-o") ? w.slice(2) : undefined;
      if (opt === undefined) continue;
      const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(opt);
      if (m && m[1]!.toLowerCase() === want) return m[2]!.trim();
      if (!m && opt.toLowerCase() === want && words[i + 1] !== undefined) return words[i + 1]!;
    }
  }
  return undefined;
}

/** `-o UserKnownHostsFile=PATH` (or `-oUserKnownHostsFile PATH`) in ansible_ssh_common_args / _extra_args. */
export function knownHostsFromSshArgs(vars: Record<string, unknown>): string | undefined {
  for (const k of ["ansible_ssh_common_args", "ansible_ssh_extra_args"]) {
    const v = vars[k];
    if (typeof v !== "string") continue;
    const m = /(?:^|\s)-o\s*['"]?UserKnownHostsFile(?:\s*=\s*|\s+)['"]?([^\s'"]+)/i.exec(v);
    if (m) return m[1];
  }
  return undefined;
}

function expandTilde(p: string): string {
  return p === "~" ? homedir() : p.startsWith("~/") ? homedir() + p.slice(1) : p;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string '${v}'`;
  return `the ${typeof v} ${String(v)}`;
}
