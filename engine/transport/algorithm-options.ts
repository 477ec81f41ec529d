// ssh's algorithm options (Ciphers, KexAlgorithms, MACs, HostKeyAlgorithms,
// PubkeyAcceptedAlgorithms and its old name PubkeyAcceptedKeyTypes), from an ssh_config file or
// `-o`, read as OpenSSH 9.2 reads them (readconf.c, kex_assemble_names in kex.c):
// - a plain list REPLACES the default; `+list` appends to it, `-list` removes from it (patterns
//   with `*` and `?`), `^list` puts the names first;
// - the names of a plain, `+` or `^` list must be algorithms OpenSSH knows ("Bad SSH2 cipher
//   spec" otherwise); HostKeyAlgorithms and PubkeyAcceptedAlgorithms also take patterns there;
// - a list that leaves nothing is an error.
// keel then offers, in that order, the algorithms of the result that its SSH client (ssh2)
// implements: never one outside the user's list. When none remains the connection stops with an
// error naming the algorithms and what keel implements. Pure.
import { InputError } from "../core/errors.js";
import type { AlgorithmChoice, SshOpt } from "../core/host.js";

export type { AlgorithmChoice };

type Kind = keyof AlgorithmChoice;

/** Option keyword (lower case) → what it sets; PubkeyAcceptedKeyTypes is PubkeyAcceptedAlgorithms' old name (one option: the first of either wins). */
export const ALGORITHM_OPTIONS: Readonly<Record<string, { kind: Kind; name: string; canonical: string }>> = {
  ciphers: { kind: "cipher", name: "Ciphers", canonical: "ciphers" },
  kexalgorithms: { kind: "kex", name: "KexAlgorithms", canonical: "kexalgorithms" },
  macs: { kind: "hmac", name: "MACs", canonical: "macs" },
  hostkeyalgorithms: { kind: "serverHostKey", name: "HostKeyAlgorithms", canonical: "hostkeyalgorithms" },
  pubkeyacceptedalgorithms: { kind: "pubkey", name: "PubkeyAcceptedAlgorithms", canonical: "pubkeyacceptedalgorithms" },
  pubkeyacceptedkeytypes: { kind: "pubkey", name: "PubkeyAcceptedKeyTypes", canonical: "pubkeyacceptedalgorithms" },
};

/** `ssh -Q HostKeyAlgorithms` of OpenSSH 9.2, in its order (PubkeyAcceptedAlgorithms takes the same names). */
const KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ssh-ed25519-cert-v01@openssh.com",
  "sk-ssh-ed25519@openssh.com",
  "sk-ssh-ed25519-cert-v01@openssh.com",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  "ecdsa-sha2-nistp521",
  "ecdsa-sha2-nistp521-cert-v01@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
  "ssh-dss",
  "ssh-dss-cert-v01@openssh.com",
  "ssh-rsa",
  "ssh-rsa-cert-v01@openssh.com",
  "rsa-sha2-256",
  "rsa-sha2-256-cert-v01@openssh.com",
  "rsa-sha2-512",
  "rsa-sha2-512-cert-v01@openssh.com",
];
/** OpenSSH 9.2's client defaults for the key options (`ssh -G`): no ssh-rsa (SHA-1) since 8.8. */
const KEY_DEFAULT = [
  "ssh-ed25519-cert-v01@openssh.com",
  "ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  "ecdsa-sha2-nistp521-cert-v01@openssh.com",
  "sk-ssh-ed25519-cert-v01@openssh.com",
  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "rsa-sha2-512-cert-v01@openssh.com",
  "rsa-sha2-256-cert-v01@openssh.com",
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "rsa-sha2-512",
  "rsa-sha2-256",
];

/** OpenSSH 9.2 (Debian 12): every name it knows (`ssh -Q cipher|mac|kex|key-sig`) and its client defaults (`ssh -G`). */
export const OPENSSH: Readonly<Record<Kind, { all: readonly string[]; default: readonly string[]; patterns: boolean }>> = {
  cipher: {
    all: [
      "3des-cbc",
      "aes128-cbc",
      "aes192-cbc",
      "aes256-cbc",
      "aes128-ctr",
      "aes192-ctr",
      "aes256-ctr",
      "aes128-gcm@openssh.com",
      "aes256-gcm@openssh.com",
      "chacha20-poly1305@openssh.com",
    ],
    default: ["chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"],
    patterns: false,
  },
  hmac: {
    all: [
      "hmac-sha1",
      "hmac-sha1-96",
      "hmac-sha2-256",
      "hmac-sha2-512",
      "hmac-md5",
      "hmac-md5-96",
      "umac-64@openssh.com",
      "umac-128@openssh.com",
      "hmac-sha1-etm@openssh.com",
      "hmac-sha1-96-etm@openssh.com",
      "hmac-sha2-256-etm@openssh.com",
      "hmac-sha2-512-etm@openssh.com",
      "hmac-md5-etm@openssh.com",
      "hmac-md5-96-etm@openssh.com",
      "umac-64-etm@openssh.com",
      "umac-128-etm@openssh.com",
    ],
    default: [
      "umac-64-etm@openssh.com",
      "umac-128-etm@openssh.com",
      "hmac-sha2-256-etm@openssh.com",
      "hmac-sha2-512-etm@openssh.com",
      "hmac-sha1-etm@openssh.com",
      "umac-64@openssh.com",
      "umac-128@openssh.com",
      "hmac-sha2-256",
      "hmac-sha2-512",
      "hmac-sha1",
    ],
    patterns: false,
  },
  kex: {
    all: [
      "diffie-hellman-group1-sha1",
      "diffie-hellman-group14-sha1",
      "diffie-hellman-group14-sha256",
      "diffie-hellman-group16-sha512",
      "diffie-hellman-group18-sha512",
      "diffie-hellman-group-exchange-sha1",
      "diffie-hellman-group-exchange-sha256",
      "ecdh-sha2-nistp256",
      "ecdh-sha2-nistp384",
      "ecdh-sha2-nistp521",
      "curve25519-sha256",
      "curve25519-sha256@libssh.org",
      "sntrup761x25519-sha512",
      "sntrup761x25519-sha512@openssh.com",
    ],
    default: [
      "sntrup761x25519-sha512",
      "sntrup761x25519-sha512@openssh.com",
      "curve25519-sha256",
      "curve25519-sha256@libssh.org",
      "ecdh-sha2-nistp256",
      "ecdh-sha2-nistp384",
      "ecdh-sha2-nistp521",
      "diffie-hellman-group-exchange-sha256",
      "diffie-hellman-group16-sha512",
      "diffie-hellman-group18-sha512",
      "diffie-hellman-group14-sha256",
    ],
    patterns: false,
  },
  serverHostKey: { all: KEY_ALGORITHMS, default: KEY_DEFAULT, patterns: true },
  pubkey: { all: KEY_ALGORITHMS, default: KEY_DEFAULT, patterns: true },
};

/** OpenSSH's match_pattern: `*` any run, `?` one character, whole string, case-sensitive. */
function matchPattern(s: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(s);
}

const cat = (a: readonly string[], b: readonly string[]) => [...a, ...b.filter((x) => !a.includes(x))];

/**
 * The list OpenSSH makes of one option's value (kex_assemble_names), in order. Throws InputError
 * naming `source` where OpenSSH stops: a name it does not know, a negation, an empty result.
 */
export function assembleAlgorithms(key: string, value: string, source: string, pos?: { file: string; line: number; col: number }): string[] {
  const opt = ALGORITHM_OPTIONS[key];
  if (!opt) throw new InputError(`${source}: ${key} is not an algorithm option`);
  const o = OPENSSH[opt.kind];
  // with a position the CLI prints file:line:col itself; a command-line source names the setting
  const at = pos ? "" : `${source}: `;
  const bad = (why: string, hint: string) => new InputError(`${at}${opt.name} ${value}: ${why}`, pos, hint);
  const v = value.trim();
  if (v === "") throw bad("an empty list", `give ${opt.name} a comma-separated list of algorithms`);
  const op = /^[+\-^]/.test(v) ? v[0]! : "";
  const names = (op ? v.slice(1) : v).split(",");
  if (op !== "-") {
    // readconf.c: ciphers_valid / mac_valid / kex_names_valid take exact names, sshkey_names_valid2
    // patterns (a negated one too) that match some name; each stops at an empty name
    if (names[0] === "") throw bad("an empty list", `give ${opt.name} a comma-separated list of algorithms`);
    for (const n of names) {
      if (n === "") break;
      const known = o.patterns ? o.all.some((a) => matchPattern(a, n.replace(/^!/, ""))) : o.all.includes(n);
      if (!known)
        throw bad(
          `OpenSSH knows no algorithm '${n}'`,
          `ssh stops on this line too ("Bad SSH2 ${opt.name === "Ciphers" ? "cipher spec" : opt.name === "MACs" ? "mac spec" : "algorithm spec"}"); OpenSSH's names: ${o.all.join(",")}`,
        );
    }
  }
  let list: string[];
  if (op === "-") {
    const left = o.default.filter((a) => !names.some((p) => matchPattern(a, p)));
    if (left.length === 0) throw bad("removes every algorithm", `keep at least one of ${o.default.join(",")}`);
    return left;
  } else if (op === "+") list = cat(o.default, names);
  else if (op === "^") list = cat(names, o.default);
  else list = names;
  // patterns expand against every name OpenSSH knows, in that order; duplicates dropped
  let out: string[] = [];
  for (const p of list) {
    if (p.startsWith("!")) throw bad("a negated name ('!') is only allowed in a '-' list", `remove '${p}' or write ${opt.name} -${p.slice(1)}`);
    out = cat(
      out,
      o.all.filter((a) => matchPattern(a, p)),
    );
  }
  if (out.length === 0) throw bad("the list is empty", `give ${opt.name} at least one algorithm OpenSSH knows`);
  return out;
}

/** What keel's SSH client implements, per option (ssh2's SUPPORTED_* lists; key types keel's client signs with). */
export type Implemented = Readonly<Record<Kind, readonly string[]>>;

/**
 * The lists keel offers for the algorithm options present in `opts` (first value of each, already
 * chosen by the caller): OpenSSH's result restricted to what `impl` holds, order kept. Throws
 * InputError when nothing keel implements remains.
 */
export function algorithmChoice(opts: ReadonlyMap<string, SshOpt>, impl: Implemented): AlgorithmChoice {
  const out: AlgorithmChoice = {};
  for (const [key, o] of opts) {
    if (!ALGORITHM_OPTIONS[key]) continue;
    // as written (PubkeyAcceptedKeyTypes or PubkeyAcceptedAlgorithms), kept under the canonical key
    const opt = ALGORITHM_OPTIONS[o.key] ?? ALGORITHM_OPTIONS[key]!;
    const pos = posOf(o.source);
    const wanted = assembleAlgorithms(o.key in ALGORITHM_OPTIONS ? o.key : key, o.value, o.source, pos);
    const usable = wanted.filter((a) => impl[opt.kind].includes(a));
    if (usable.length === 0)
      throw new InputError(
        `${pos ? "" : `${o.source}: `}${opt.name} ${o.value} leaves only algorithms keel's SSH client does not implement (${wanted.join(",")})`,
        pos,
        `keel implements ${impl[opt.kind].join(",")}; add one the server accepts to the list`,
      );
    if (opt.kind === "pubkey") checkRsaChoice(usable, o, pos);
    out[opt.kind] = usable;
  }
  return out;
}

const RSA_SIGS = ["rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"];

/**
 * ssh2 picks the signature of an RSA key itself (rsa-sha2-256 when the server accepts it, else
 * rsa-sha2-512, else ssh-rsa): a list allowing only some of the SHA-2 ones cannot be kept to.
 */
function checkRsaChoice(usable: string[], o: SshOpt, pos: { file: string; line: number; col: number } | undefined): void {
  const rsa = usable.filter((a) => RSA_SIGS.includes(a));
  if (rsa.length === 0 || (rsa.includes("rsa-sha2-256") && rsa.includes("rsa-sha2-512"))) return;
  throw new InputError(
    `${pos ? "" : `${o.source}: `}PubkeyAcceptedAlgorithms ${o.value} allows only ${rsa.join(",")} for RSA keys, and keel's SSH client chooses the RSA signature itself (rsa-sha2-256 when the server accepts it)`,
    pos,
    "allow both rsa-sha2-256 and rsa-sha2-512, or no RSA algorithm (RSA keys are then not offered)",
  );
}

/** Key algorithms a key type can sign with, as keel's client uses them. */
export function keyTypeAllowed(keyType: string, pubkey: readonly string[] | undefined): boolean {
  if (!pubkey) return true;
  if (keyType === "ssh-rsa") return pubkey.some((a) => RSA_SIGS.includes(a));
  return pubkey.includes(keyType);
}

/** "/home/u/.ssh/config:12" → a position; a command-line source has none. */
function posOf(source: string): { file: string; line: number; col: number } | undefined {
  const m = /^(.*):(\d+)$/.exec(source);
  return m ? { file: m[1]!, line: Number(m[2]), col: 1 } : undefined;
}
