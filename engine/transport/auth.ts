// How keel's SSH client authenticates, as ssh does: the key files (IdentityFile, the inventory's
// key, else ~/.ssh/id_*), then ssh-agent, then a password; PubkeyAcceptedAlgorithms and
// IdentitiesOnly leave keys out as ssh leaves them out.
import ssh2 from "ssh2";
import type { ParsedKey } from "ssh2";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConnectionError } from "../core/errors.js";
import { readFileCached } from "../core/filecache.js";
import { keyTypeAllowed } from "./algorithm-options.js";
import type { HandshakeTarget } from "./ssh.js";

// ssh2 is CommonJS; Node's ESM loader cannot see `utils` as a named export, so take both from the default.
const { utils, OpenSSHAgent } = ssh2;

/**
 * ssh-agent's keys that PubkeyAcceptedAlgorithms and IdentitiesOnly allow, the others not offered
 * (as ssh skips them).
 */
class FilteredAgent extends OpenSSHAgent {
  constructor(
    socketPath: string,
    private readonly allow: (key: ParsedKey) => boolean,
  ) {
    super(socketPath);
  }
  override getIdentities(cb: Parameters<InstanceType<typeof OpenSSHAgent>["getIdentities"]>[0]): void {
    super.getIdentities((err, keys) =>
      cb(
        err,
        keys?.filter((k) => {
          const key = "type" in k ? k : typeof k.pubKey === "object" && "type" in k.pubKey ? k.pubKey : undefined;
          return key !== undefined && this.allow(key);
        }),
      ),
    );
  }
}

export type AuthMethod =
  | { type: "publickey"; username: string; key: ParsedKey; label: string }
  | { type: "agent"; username: string; agent: string | InstanceType<typeof OpenSSHAgent>; label: string }
  | { type: "password"; username: string; password: string; label: string }
  | {
      type: "keyboard-interactive";
      username: string;
      label: string;
      prompt: (name: string, instructions: string, lang: string, prompts: unknown[], finish: (answers: string[]) => void) => void;
    };

/** ssh2's parse of a private key file (an Error for encrypted or unsupported keys). */
const parsePrivateKey = (data: Buffer): ParsedKey | Error => utils.parseKey(data);

/** The ways to authenticate, in order: key files, ssh-agent, password. */
export function authMethods(t: HandshakeTarget, skipped: string[] = []): AuthMethod[] {
  const out: AuthMethod[] = [];
  const username = t.user;
  const files =
    t.identityFiles.length > 0 ? t.identityFiles : ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(homedir(), ".ssh", f)).filter((f) => existsSync(f));
  /** The key files' public keys: with IdentitiesOnly, the agent's keys that may be offered. */
  const blobs: Buffer[] = [];
  for (const f of files) {
    let parsed: ParsedKey | Error;
    try {
      // Parsed once for all hosts; ssh2 takes the parsed key as it is (it would parse a Buffer again per host).
      parsed = readFileCached(f, parsePrivateKey);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && f !== t.requiredKey) continue;
      throw new ConnectionError(`cannot read private key file ${f} for ${t.where}: ${(e as Error).message}`, "auth", t.name);
    }
    if (parsed instanceof Error) {
      // Encrypted keys need a passphrase keel does not ask for; the agent can hold them instead.
      if (f === t.requiredKey) throw new ConnectionError(`cannot use private key file ${f} for ${t.where}: ${parsed.message}`, "auth", t.name);
      const pub = publicKeyOf(`${f}.pub`);
      if (pub) blobs.push(pub);
      continue;
    }
    blobs.push(parsed.getPublicSSH());
    // PubkeyAcceptedAlgorithms: ssh does not offer a key of another type
    if (!keyTypeAllowed(parsed.type, t.algorithms?.pubkey)) {
      skipped.push(`${f} (${parsed.type})`);
      continue;
    }
    out.push({ type: "publickey", username, key: parsed, label: `publickey ${f}` });
  }
  const sock = process.env.SSH_AUTH_SOCK;
  // IdentitiesOnly yes and no key file with a public key: ssh offers no agent key at all
  if (sock && !(t.identitiesOnly && blobs.length === 0)) {
    const allowed = t.algorithms?.pubkey;
    const only = t.identitiesOnly ? blobs : undefined;
    const filter = (k: ParsedKey) => keyTypeAllowed(k.type, allowed) && (only === undefined || only.some((b) => b.equals(k.getPublicSSH())));
    out.push({ type: "agent", username, agent: allowed || only ? new FilteredAgent(sock, filter) : sock, label: "ssh-agent" });
  }
  const pw = t.password;
  if (pw !== undefined) {
    out.push({ type: "password", username, password: pw, label: "password" });
    out.push({
      type: "keyboard-interactive",
      username,
      label: "keyboard-interactive",
      prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (answers: string[]) => void) => finish(prompts.map(() => pw)),
    });
  }
  return out;
}

/** A `.pub` file's key blob, or undefined when it is missing or unreadable. */
function publicKeyOf(file: string): Buffer | undefined {
  try {
    const k = utils.parseKey(readFileSync(file));
    return k instanceof Error ? undefined : (Array.isArray(k) ? (k as ParsedKey[])[0] : k)?.getPublicSSH();
  } catch {
    return undefined;
  }
}
