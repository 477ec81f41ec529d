// Where vault passwords come from, as Ansible takes them: a password file (its content, without
// the trailing newline), an executable file (run; its stdout is the password), a "-client" script
// (run with --vault-id LABEL; exit code 2 means it has no password for that id), or a prompt
// (asked by engine/cli). `--vault-id label@source`; a source alone has the id "default".
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { basename, extname, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import { DEFAULT_VAULT_ID } from "./format.js";
import type { VaultSecret } from "./keyring.js";

/** A parsed --vault-id: `label@source`, or `source` alone (label "default"). */
export interface VaultIdSpec {
  id: string;
  /** "prompt" or a file path. */
  source: string;
}

export function parseVaultId(spec: string): VaultIdSpec {
  const at = spec.indexOf("@");
  if (at < 0) return { id: DEFAULT_VAULT_ID, source: spec };
  const id = spec.slice(0, at);
  const source = spec.slice(at + 1);
  if (id === "" || source === "")
    throw new InputError(
      `--vault-id '${spec}' must be LABEL@SOURCE or SOURCE`,
      undefined,
      "for example --vault-id prod@~/.vault_pass or --vault-id dev@prompt",
    );
  if (/[;\s]/.test(id))
    throw new InputError(
      `--vault-id '${spec}': the label may not contain ';' or blanks`,
      undefined,
      "it is written into the vault header ($ANSIBLE_VAULT;1.2;AES256;LABEL)",
    );
  return { id, source };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** ansible's script_is_client: `name-client` or `name-client.EXT`. */
function isClientScript(path: string): boolean {
  const base = basename(path);
  const stem = extname(base) ? base.slice(0, -extname(base).length) : base;
  return stem.endsWith("-client");
}

/** Strip the given bytes at both ends (Python's bytes.strip(chars)). */
function stripBytes(b: Buffer, chars: readonly number[]): Buffer {
  let s = 0;
  let e = b.length;
  while (s < e && chars.includes(b[s]!)) s++;
  while (e > s && chars.includes(b[e - 1]!)) e--;
  return b.subarray(s, e);
}
const NEWLINES = [0x0a, 0x0d];
/** Python's bytes.strip(): ASCII whitespace only (never a byte of a UTF-8 character). */
const ASCII_SPACE = [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c];
const stripNewlines = (b: Buffer) => stripBytes(b, NEWLINES);

/** Read (or run) a password file for the vault id `id`. */
export function readPasswordSource(id: string, file: string): VaultSecret {
  const path = resolve(file.replace(/^~(?=$|\/)/, process.env.HOME ?? "~"));
  if (!existsSync(path))
    throw new InputError(`the vault password file ${file} was not found`, undefined, "give an existing file (or an executable that prints the password)");
  let password: Buffer;
  if (isExecutable(path)) {
    const client = isClientScript(path);
    const args = client ? ["--vault-id", id] : [];
    // stderr stays the terminal's for a plain script (it may prompt there), as in Ansible
    const r = spawnSync(path, args, { stdio: ["inherit", "pipe", client ? "pipe" : "inherit"], maxBuffer: 1 << 20, timeout: 120_000 });
    if (r.error)
      throw new InputError(
        `cannot run the vault password script ${file}: ${r.error.message}`,
        undefined,
        "if it is not a script, remove its executable bit (chmod -x)",
      );
    const err = r.stderr ? r.stderr.toString("utf8").trim() : "";
    if (client && r.status === 2) throw new InputError(`the vault password client script ${file} has no password for vault id '${id}'${err ? `: ${err}` : ""}`);
    if (r.status !== 0)
      throw new InputError(
        `the vault password script ${file} exited with ${r.status ?? r.signal}${err ? `: ${err}` : ""}`,
        undefined,
        "run it by hand to see what it needs",
      );
    password = stripNewlines(r.stdout);
    if (password.length === 0) throw new InputError(`the vault password script ${file} printed an empty password`);
  } else {
    try {
      password = stripNewlines(stripBytes(readFileSync(path), ASCII_SPACE));
    } catch (e) {
      throw new InputError(`cannot read the vault password file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (password.length === 0) throw new InputError(`the vault password file ${file} is empty`, undefined, "write the password on its first line");
  }
  return { id, password, source: file };
}
