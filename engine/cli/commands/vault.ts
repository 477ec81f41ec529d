// keel vault: Ansible Vault files and strings, compatible with ansible-vault both ways (format 1.1,
// and 1.2 with a vault id). Writes are atomic with mode 0600 (engine/vault/files.ts).
//
//   keel vault encrypt FILE… | decrypt FILE… | view FILE… | edit FILE | rekey FILE…
//   keel vault encrypt_string [--name NAME] VALUE…      (or from stdin / --prompt)
// Passwords: --vault-id [label@]source, --vault-password-file, -J/--ask-vault-pass, ansible.cfg's
// vault_password_file; a command that encrypts and has none prompts for a new one (twice).
import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import type { CliIO } from "../io.js";
import { InputError } from "../../core/errors.js";
import { collect } from "./shared.js";
import { promptHidden } from "./prompt.js";
import { shlexSplit } from "../../inventory/shlex.js";
import { addVaultFlags, loadVaultSecrets, vaultDefaults, vaultIdSpecs, type VaultFlags } from "./vault-flags.js";
import { decryptWith, encryptWith, NO_PASSWORD_HINT, type VaultSecret } from "../../vault/keyring.js";
import { isVaultText, DEFAULT_VAULT_ID } from "../../vault/format.js";
import { parseVaultId } from "../../vault/sources.js";
import { writeFileAtomic0600 } from "../../vault/files.js";

interface VaultCmdFlags extends VaultFlags {
  output?: string;
  encryptVaultId?: string;
  newVaultId?: string;
  newVaultPasswordFile?: string;
  name?: string[];
  stdinName?: string;
  prompt?: boolean;
}

export function registerVault(program: Command, ctx: CommandContext): void {
  const vault = program
    .command("vault")
    .summary("encrypt, decrypt, view, edit and rekey Ansible Vault files and strings")
    .description("Ansible Vault files and strings (format 1.1/1.2, AES256), compatible with ansible-vault both ways. Writes are atomic, mode 0600.");
  const sub = (name: string, desc: string, args: string, action: (files: string[], f: VaultCmdFlags) => Promise<void>, extra?: (c: Command) => Command) => {
    let c = addVaultFlags(vault.command(name).description(desc).argument(args));
    if (extra) c = extra(c);
    c.action(async (files: string[] | string, f: VaultCmdFlags) => {
      await action(Array.isArray(files) ? files : [files], f);
      ctx.exitCode = 0;
    });
  };
  const io = ctx.io;
  const encOpts = (c: Command) =>
    c
      .option("--output <file>", "write here instead of in place ('-' for stdout)")
      .option("--encrypt-vault-id <id>", "the vault id to encrypt with, when several are given");
  sub("encrypt", "Encrypt files in place (no file or '-': stdin to stdout).", "[files...]", (files, f) => encrypt(files, f, io), encOpts);
  sub(
    "decrypt",
    "Decrypt files in place (no file or '-': stdin to stdout).",
    "[files...]",
    (files, f) => decrypt(files, f, io),
    (c) => c.option("--output <file>", "write here instead of in place ('-' for stdout)"),
  );
  sub("view", "Print the decrypted content of vaulted files.", "<files...>", (files, f) => view(files, f, io));
  sub(
    "edit",
    "Decrypt into a private temporary file, open $EDITOR, encrypt again if it changed.",
    "<file>",
    (files, f) => edit(files[0]!, f, io),
    (c) => c.option("--encrypt-vault-id <id>", "the vault id to encrypt with"),
  );
  sub(
    "rekey",
    "Encrypt vaulted files again with a new password.",
    "<files...>",
    (files, f) => rekey(files, f, io),
    (c) =>
      c
        .option("--new-vault-id <[label@]source>", "the new password (and vault id)")
        .option("--new-vault-password-file <file>", "the new password file")
        .option("--encrypt-vault-id <id>", "(ignored with --new-vault-id)"),
  );
  sub(
    "encrypt_string",
    "Encrypt strings into `!vault |` YAML values (no string: read stdin).",
    "[strings...]",
    (strings, f) => encryptString(strings, f, io),
    (c) =>
      c
        .option("-n, --name <name>", "variable name of each string, in order (repeatable)", collect)
        .option("--stdin-name <name>", "variable name of the value read from stdin")
        .option("-p, --prompt", "prompt for the string to encrypt (not echoed)")
        .option("--encrypt-vault-id <id>", "the vault id to encrypt with, when several are given"),
  );
}

/** The passwords of the flags, ansible.cfg and the environment (no prompt unless asked). */
async function secretsOf(f: VaultFlags, io: CliIO): Promise<VaultSecret[]> {
  return loadVaultSecrets(vaultIdSpecs(f, vaultDefaults()), io);
}

/** Passwords to decrypt with: prompted once ("Vault password: ") when none is configured. */
async function decryptSecrets(f: VaultFlags, io: CliIO): Promise<VaultSecret[]> {
  const s = await secretsOf(f, io);
  return s.length ? s : loadVaultSecrets([`${DEFAULT_VAULT_ID}@prompt`], io);
}

/** The one password to encrypt with: --encrypt-vault-id, else the first given, else a new one prompted twice. */
async function encryptSecret(f: VaultCmdFlags, io: CliIO, given?: VaultSecret[]): Promise<VaultSecret> {
  const all = given ?? (await secretsOf(f, io));
  const want = f.encryptVaultId ?? vaultDefaults().encryptIdentity;
  if (want !== undefined) {
    const m = all.find((s) => s.id === want);
    if (!m)
      throw new InputError(
        `${f.encryptVaultId !== undefined ? "--encrypt-vault-id" : "vault_encrypt_identity"} ${want} matches none of the vault ids given (${all.map((s) => s.id).join(", ") || "none"})`,
        undefined,
        `give it: --vault-id ${want}@FILE`,
      );
    return m;
  }
  // several different passwords: which one would be a guess, so ansible-vault refuses, and so does keel
  const distinct = all.filter((s, i) => all.findIndex((o) => o.id === s.id && o.password.equals(s.password)) === i);
  if (distinct.length > 1)
    throw new InputError(
      `the vault ids ${distinct.map((s) => `${s.id} (${s.source})`).join(", ")} are available to encrypt with`,
      undefined,
      "say which one with --encrypt-vault-id LABEL (ansible.cfg's vault_password_file and vault_identity_list count too)",
    );
  if (all.length) return all[0]!;
  return newPassword(DEFAULT_VAULT_ID, io);
}

async function newPassword(id: string, io: CliIO): Promise<VaultSecret> {
  const a = await promptHidden(io, "New Vault password: ");
  const b = await promptHidden(io, "Confirm New Vault password: ");
  if (a !== b) throw new InputError("the passwords do not match");
  if (a.trim() === "") throw new InputError("empty vault password", undefined, NO_PASSWORD_HINT);
  return { id, password: Buffer.from(a.trim(), "utf8"), source: "prompt" };
}

function readInput(file: string): Buffer {
  if (file === "-") return readFileSync(0);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function writeOutput(io: CliIO, target: string, data: Buffer | string): void {
  if (target === "-") io.out(typeof data === "string" ? data : data.toString("utf8"));
  else writeFileAtomic0600(target, data);
}

/** Each input and where its result goes: in place, --output, or stdout for stdin. */
function targets(files: string[], f: VaultCmdFlags): Array<{ input: string; output: string }> {
  const inputs = files.length ? files : ["-"];
  if (f.output !== undefined && inputs.length > 1) throw new InputError("--output goes with a single input file");
  return inputs.map((input) => ({ input, output: f.output ?? input }));
}

async function encrypt(files: string[], f: VaultCmdFlags, io: CliIO): Promise<void> {
  const secret = await encryptSecret(f, io);
  for (const { input, output } of targets(files, f)) {
    const plain = readInput(input);
    if (isVaultText(plain.toString("latin1"))) throw new InputError(`${input === "-" ? "the input" : input} is already encrypted`);
    writeOutput(io, output, encryptWith(secret, plain));
  }
  io.err("Encryption successful\n");
}

function decryptOne(secrets: VaultSecret[], input: string, text: Buffer): { plaintext: Buffer; id: string } {
  const name = input === "-" ? "the input" : input;
  if (!isVaultText(text.toString("latin1"))) throw new InputError(`${name} is not a vault encrypted file`);
  return decryptWith(secrets, text.toString("latin1"), name);
}

async function decrypt(files: string[], f: VaultCmdFlags, io: CliIO): Promise<void> {
  const secrets = await decryptSecrets(f, io);
  for (const { input, output } of targets(files, f)) writeOutput(io, output, decryptOne(secrets, input, readInput(input)).plaintext);
  io.err("Decryption successful\n");
}

async function view(files: string[], f: VaultCmdFlags, io: CliIO): Promise<void> {
  const secrets = await decryptSecrets(f, io);
  for (const file of files) io.out(decryptOne(secrets, file, readInput(file)).plaintext.toString("utf8"));
}

async function rekey(files: string[], f: VaultCmdFlags, io: CliIO): Promise<void> {
  const secrets = await decryptSecrets(f, io);
  let fresh: VaultSecret;
  if (f.newVaultId !== undefined && f.newVaultPasswordFile !== undefined) throw new InputError("give --new-vault-id or --new-vault-password-file, not both");
  if (f.newVaultId !== undefined) {
    const { id, source } = parseVaultId(f.newVaultId);
    fresh = source === "prompt" ? await newPassword(id, io) : (await loadVaultSecrets([`${id}@${source}`], io))[0]!;
  } else if (f.newVaultPasswordFile !== undefined) fresh = (await loadVaultSecrets([`${DEFAULT_VAULT_ID}@${f.newVaultPasswordFile}`], io))[0]!;
  else fresh = await newPassword(DEFAULT_VAULT_ID, io);
  // decrypt everything first: one bad file leaves every file as it was
  const plains = files.map((file) => ({ file, plain: decryptOne(secrets, file, readInput(file)).plaintext }));
  for (const { file, plain } of plains) writeFileAtomic0600(file, encryptWith(fresh, plain));
  io.err("Rekey successful\n");
}

async function edit(file: string, f: VaultCmdFlags, io: CliIO): Promise<void> {
  const secrets = await decryptSecrets(f, io);
  if (!existsSync(file)) throw new InputError(`${file} does not exist`, undefined, "create it with keel vault encrypt");
  const { plaintext, id } = decryptOne(secrets, file, readInput(file));
  // re-encrypt with the password that opened it (as ansible-vault edit), unless told otherwise
  const secret = f.encryptVaultId !== undefined ? await encryptSecret(f, io, secrets) : secrets.find((s) => s.id === id)!;
  const editor = shlexSplit(process.env.EDITOR || "vi").map((t) => t.text);
  const dir = mkdtempSync(join(tmpdir(), "keel-vault-"));
  const tmp = join(dir, basename(file));
  try {
    writeFileSync(tmp, plaintext, { mode: 0o600 });
    const r = await runEditor(editor, tmp);
    if (r.error) throw new InputError(`cannot run the editor ${editor[0]}: ${r.error.message}`, undefined, "set EDITOR to your editor");
    if (r.interrupted) throw new InputError(`interrupted (${r.interrupted}); ${file} is unchanged and the decrypted copy is removed`);
    if (r.status !== 0) throw new InputError(`the editor exited with ${r.status ?? r.signal}; ${file} is unchanged`);
    const after = readFileSync(tmp);
    if (after.equals(plaintext)) return;
    writeFileAtomic0600(file, encryptWith(secret, after));
  } finally {
    // overwrite the plaintext before removing it (the folder goes too: an editor's swap files)
    try {
      writeFileSync(tmp, Buffer.alloc(statSync(tmp).size));
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

interface EditorResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  /** The signal keel received while the editor ran: the edit is abandoned. */
  interrupted?: NodeJS.Signals;
}

/**
 * Run the editor on the decrypted copy and wait for it. A signal to keel meanwhile must not kill
 * keel before the plaintext is wiped (the default action would leave it in the temp folder): as git
 * does with its editor, Ctrl-C / Ctrl-\ are left to the editor (it shares the terminal), SIGTERM
 * and SIGHUP are passed on to it; either way the edit is abandoned once the editor has exited.
 */
function runEditor(editor: string[], tmp: string): Promise<EditorResult> {
  return new Promise((done) => {
    let interrupted: NodeJS.Signals | undefined;
    // the handlers are in place before the editor starts: a signal can come at once
    const editorProcess: { child?: ChildProcess } = {};
    const handlers = (["SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP"] as const).map((sig) => {
      const h = () => {
        interrupted ??= sig;
        if (sig === "SIGTERM" || sig === "SIGHUP") editorProcess.child?.kill(sig);
      };
      process.on(sig, h);
      return () => process.off(sig, h);
    });
    const child = spawn(editor[0]!, [...editor.slice(1), tmp], { stdio: "inherit" });
    editorProcess.child = child;
    const finish = (r: EditorResult) => {
      handlers.forEach((off) => off());
      done(interrupted ? { ...r, interrupted } : r);
    };
    child.once("error", (error) => finish({ status: null, signal: null, error }));
    child.once("exit", (status, signal) => finish({ status, signal }));
  });
}

async function encryptString(strings: string[], f: VaultCmdFlags, io: CliIO): Promise<void> {
  const secret = await encryptSecret(f, io);
  const values: Array<{ name?: string; text: string }> = [];
  const readStdin = strings.includes("-") || strings.length === 0 || f.stdinName !== undefined;
  if (f.prompt) {
    if (readStdin && (strings.length || f.stdinName)) throw new InputError("--prompt cannot be combined with reading stdin");
    const text = await promptHidden(io, "String to encrypt (hidden): ");
    if (text === "") throw new InputError("the string given at the prompt is empty; nothing encrypted");
    values.push({ name: f.name?.[0], text });
  } else {
    if (readStdin) {
      const text = readFileSync(0, "utf8");
      if (text === "") throw new InputError("stdin was empty; nothing encrypted");
      values.push({ name: f.stdinName, text });
    }
    const args = strings.filter((s) => s !== "-");
    const names = f.name ?? [];
    if (names.length && names.length !== args.length)
      throw new InputError(`${names.length} --name for ${args.length} strings`, undefined, "give one --name per string, in order");
    args.forEach((text, i) => values.push({ name: names[i], text }));
  }
  const blocks = values.map(({ name, text }) => {
    const lines = encryptWith(secret, Buffer.from(text, "utf8")).trimEnd().split("\n");
    return [`${name ? `${name}: ` : ""}!vault |`, ...lines.map((l) => " ".repeat(10) + l)].join("\n");
  });
  io.out(blocks.join("\n") + "\n");
  io.err("Encryption successful\n");
}
