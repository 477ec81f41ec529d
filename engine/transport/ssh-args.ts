// ssh command-line arguments as Ansible passes them (ansible.cfg's ssh_args,
// ansible_ssh_common_args, ansible_ssh_extra_args), turned into the options keel's SSH client
// honours. An argument that would change where, as whom or how keel connects and that keel cannot
// honour stops the load: dropping it would connect differently than the user asked. Pure.
import { shlexSplit } from "../inventory/shlex.js";
import { HONOURED_OPTIONS, type SshOpt } from "./ssh-config.js";
import { sshAlgorithms } from "./ssh-algorithms.js";
import { DEFAULT_HOST_KEY_ALGORITHMS } from "./known-hosts.js";

export interface SshArgs {
  opts: SshOpt[];
  /** -F FILE */
  configFile?: string;
}

/** -o options that cannot change where, as whom or how securely keel connects. */
const HARMLESS = new Set([
  "controlmaster",
  "controlpersist",
  "controlpath",
  "compression",
  "loglevel",
  "forwardagent",
  "identitiesonly",
  "pubkeyauthentication",
  "passwordauthentication",
  "preferredauthentications",
  "batchmode",
  "gssapiauthentication",
  "kbdinteractiveauthentication",
  "addkeystoagent",
  "hashknownhosts",
  "tcpkeepalive",
  "visualhostkey",
  "updatehostkeys",
  "checkhostip",
  "connectionattempts",
  "ipqos",
  "sendenv",
  "setenv",
  "requesttty",
  "numberofpasswordprompts",
  "forwardx11",
  "forwardx11trusted",
  "exitonforwardfailure",
  "escapechar",
  "streamlocalbindunlink",
]);

/** Key types keel's client signs with (ssh2: the key's own type; RSA as rsa-sha2-* or ssh-rsa). */
const PUBKEY_ALGORITHMS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];

/**
 * Algorithm options and what keel offers for each. `-o HostKeyAlgorithms=+ssh-rsa` (the usual line for
 * old hosts in real inventories) ADDS to OpenSSH's defaults: when keel already offers every added
 * algorithm it changes nothing and is taken as is. A list that replaces, removes or reorders
 * (`aes256-ctr`, `-ssh-rsa`, `^…`) restricts what keel would negotiate, which keel cannot do: refused.
 */
const ALGORITHM_OPTIONS: Record<string, { name: string; offered: () => readonly string[] }> = {
  hostkeyalgorithms: { name: "HostKeyAlgorithms", offered: () => DEFAULT_HOST_KEY_ALGORITHMS },
  pubkeyacceptedalgorithms: { name: "PubkeyAcceptedAlgorithms", offered: () => PUBKEY_ALGORITHMS },
  pubkeyacceptedkeytypes: { name: "PubkeyAcceptedKeyTypes", offered: () => PUBKEY_ALGORITHMS },
  kexalgorithms: { name: "KexAlgorithms", offered: () => sshAlgorithms().kex },
  ciphers: { name: "Ciphers", offered: () => sshAlgorithms().cipher },
  macs: { name: "MACs", offered: () => sshAlgorithms().hmac },
};

/** Undefined when the option only adds algorithms keel offers anyway; else why it is refused. */
function algorithmRefusal(key: string, value: string): string | undefined {
  const a = ALGORITHM_OPTIONS[key]!;
  const offered = a.offered();
  if (value.startsWith("+")) {
    const missing = value
      .slice(1)
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x && !offered.includes(x));
    if (!missing.length) return undefined;
    return `keel's SSH client cannot use ${missing.join(", ")}; it offers ${offered.join(",")}`;
  }
  return `keel offers a fixed ${a.name} list (${offered.join(",")}) and cannot restrict or reorder it; only a '+' list of algorithms it offers anyway is taken`;
}
const STRICT_VALUES = new Set(["yes", "no", "off", "accept-new", "ask"]);

/** Flags with an argument keel maps onto an option. */
const FLAG_OPTION: Record<string, string> = { "-J": "proxyjump", "-i": "identityfile", "-p": "port", "-l": "user" };
/** Flags without an argument that change nothing keel does. */
const HARMLESS_FLAGS = new Set(["-C", "-q", "-v", "-vv", "-vvv", "-T", "-t", "-tt", "-x", "-a", "-n", "-N"]);

/**
 * Splits one argument string; `fail` is called (and must throw) for anything keel cannot honour.
 * `label` names the setting in sources ("ansible_ssh_common_args").
 */
export function parseSshArgs(text: string, label: string, fail: (message: string, hint: string) => never): SshArgs {
  let words: string[];
  try {
    words = shlexSplit(text).map((t) => t.text);
  } catch (e) {
    return fail(`cannot be split into arguments: ${(e as Error).message}`, "check the quotes");
  }
  const out: SshArgs = { opts: [] };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (HARMLESS_FLAGS.has(w)) continue;
    if (w === "-F" || (w.startsWith("-F") && w.length > 2)) {
      const f = w === "-F" ? words[++i] : w.slice(2);
      if (f === undefined) fail("ends with -F and no file", "write -F /path/to/ssh_config");
      out.configFile ??= f;
      continue;
    }
    const flag = w.slice(0, 2);
    if (FLAG_OPTION[flag]) {
      const v = w.length > 2 ? w.slice(2) : words[++i];
      if (v === undefined) fail(`ends with ${flag} and no value`, `write ${flag} VALUE`);
      out.opts.push({ key: FLAG_OPTION[flag]!, value: v!, source: `${label} (${flag} ${v})` });
      continue;
    }
    let opt: string | undefined;
    if (w === "-o") opt = words[++i];
    else if (w.startsWith("-o")) opt = w.slice(2);
    else
      fail(
        `has '${w}', which keel does not honour`,
        "keel honours -o Name=value, -J, -F, -i, -p and -l here; use the inventory variables (ansible_port, ansible_user, ansible_ssh_private_key_file) for the rest",
      );
    if (opt === undefined) fail("ends with -o and no option", "write -o Name=value");
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)?([\s\S]*)$/.exec(opt!);
    const name = (m?.[1] ?? opt!).toLowerCase();
    let value = (m?.[2] ?? "").trim();
    if (value === "" && m && !/=/.test(opt!)) {
      // `-o Name VALUE` written as two words
      const next = words[i + 1];
      if (next !== undefined && !next.startsWith("-")) value = words[++i]!;
    }
    if (name === "stricthostkeychecking" && !STRICT_VALUES.has(value.toLowerCase()))
      fail(`sets -o ${opt}, which keel does not honour`, "StrictHostKeyChecking takes yes, ask, accept-new, no or off");
    if (HONOURED_OPTIONS.has(name)) {
      if (value === "") fail(`sets -o ${opt} without a value`, `write -o ${m?.[1] ?? opt}=VALUE`);
      out.opts.push({ key: name, value, source: `${label} (-o ${m?.[1] ?? name}=${value})` });
      continue;
    }
    if (HARMLESS.has(name)) continue;
    if (ALGORITHM_OPTIONS[name]) {
      const why = algorithmRefusal(name, value);
      if (why === undefined) continue;
      fail(`sets -o ${opt}, which keel does not honour`, why);
    }
    fail(`sets -o ${opt}, which keel does not honour`, `keel does not honour the ssh option ${m?.[1] ?? opt}; remove it`);
  }
  return out;
}
