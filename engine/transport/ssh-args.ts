// ssh command-line arguments as Ansible passes them (ansible.cfg's ssh_args,
// ansible_ssh_common_args, ansible_ssh_extra_args), turned into the options keel's SSH client
// honours. An argument that would change where, as whom or how keel connects and that keel cannot
// honour stops the load: dropping it would connect differently than the user asked. Pure.
import { shlexSplit } from "../inventory/shlex.js";
import { HONOURED_OPTIONS, type SshOpt } from "./ssh-config.js";
import { implementedAlgorithms } from "./ssh-algorithms.js";
import { ALGORITHM_OPTIONS, algorithmChoice } from "./algorithm-options.js";
import { InputError } from "../core/errors.js";

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

const STRICT_VALUES = new Set(["yes", "no", "off", "accept-new", "ask"]);

const NO = ["no", "false"];
/**
 * Options keel does not honour, but whose given value is what keel does anyway (OpenSSH's default,
 * ssh_config(5)), so accepting it changes nothing: option → [accepted values, what keel does]. Any
 * other value is still refused, naming the value keel can take.
 */
const DEFAULT_ONLY: Record<string, [values: string[], keel: string]> = {
  verifyhostkeydns: [NO, "keel does not look host keys up in DNS (SSHFP)"],
  hostbasedauthentication: [NO, "keel does not use host-based authentication"],
  proxyusefdpass: [NO, "keel reads a ProxyCommand's standard output"],
  tunnel: [NO, "keel opens no tun device"],
  permitlocalcommand: [NO, "keel runs no LocalCommand"],
  enablesshkeysign: [NO, "keel does not use ssh-keysign"],
  clearallforwardings: [[...NO, "yes", "true"], "keel forwards no port"],
  gatewayports: [NO, "keel forwards no port"],
  addressfamily: [["any"], "keel connects over IPv4 or IPv6, as the name resolves"],
  forkafterauthentication: [NO, "keel stays in the foreground"],
  stdinnull: [NO, "keel's shell reads its standard input"],
  sessiontype: [["default"], "keel runs a command on the host"],
  canonicalizehostname: [NO, "keel does not canonicalize host names"],
  nohostauthenticationforlocalhost: [NO, "keel checks localhost's host key too"],
  pkcs11provider: [["none"], "keel uses no PKCS#11 provider"],
  knownhostscommand: [["none"], "keel runs no KnownHostsCommand"],
  remotecommand: [["none"], "keel runs its own shell on the host"],
};

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
    const only = DEFAULT_ONLY[name];
    if (only) {
      if (only[0].includes(value.toLowerCase())) continue;
      fail(`sets -o ${opt}, which keel does not honour`, `${only[1]}: remove the option, or write -o ${m?.[1] ?? name}=${only[0][0]} (the default)`);
    }
    const algo = ALGORITHM_OPTIONS[name];
    if (algo) {
      // checked here, before any host is touched; applied per host with the ssh_config's (route.ts)
      const o: SshOpt = { key: name, value, source: `${label} (-o ${algo.name}=${value})` };
      try {
        algorithmChoice(new Map([[algo.canonical, o]]), implementedAlgorithms());
      } catch (e) {
        if (e instanceof InputError) fail(e.message.replace(`${o.source}: `, `sets -o ${opt}: `), e.hint ?? "");
        throw e;
      }
      out.opts.push(o);
      continue;
    }
    fail(`sets -o ${opt}, which keel does not honour`, `keel does not honour the ssh option ${m?.[1] ?? opt}; remove it`);
  }
  return out;
}
