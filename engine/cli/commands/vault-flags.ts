// Vault password flags, as ansible-playbook has them, on every command that loads inventories or
// playbooks (they may hold vaulted files and `!vault` values), and on `keel vault`:
//   --vault-id [LABEL@]SOURCE      (repeatable; SOURCE is a file, an executable, or "prompt")
//   --vault-password-file FILE     (repeatable; --vault-pass-file; the id "default")
//   -J, --ask-vault-pass           (prompt, without echo)
// plus ANSIBLE_VAULT_IDENTITY_LIST and ansible.cfg's vault_password_file (ANSIBLE_VAULT_PASSWORD_FILE).
// setupVault runs before a command's action (main.ts) and fills the keyring of engine/vault.
import { Option, type Command } from "commander";
import type { CliIO } from "../io.js";
import { collect } from "./shared.js";
import { promptHidden } from "./prompt.js";
import { InputError } from "../../core/errors.js";
import { registerSecret } from "../../core/secrets.js";
import { setVaultSecrets, type VaultSecret } from "../../vault/keyring.js";
import { parseVaultId, readPasswordSource } from "../../vault/sources.js";
import { DEFAULT_VAULT_ID } from "../../vault/format.js";
import { resolveSettings } from "../../config/ansiblecfg.js";

export interface VaultFlags {
  vaultId?: string[];
  vaultPasswordFile?: string[];
  vaultPassFile?: string[];
  askVaultPass?: boolean;
  askVaultPassword?: boolean;
}

/** Where vault passwords come from besides the flags (ansible.cfg / environment). */
export interface VaultDefaults {
  /** vault_password_file of ansible.cfg or ANSIBLE_VAULT_PASSWORD_FILE. */
  passwordFile?: string;
  /** vault_identity_list of ansible.cfg or ANSIBLE_VAULT_IDENTITY_LIST. */
  identityList?: string[];
  /** vault_encrypt_identity of ansible.cfg or ANSIBLE_VAULT_ENCRYPT_IDENTITY (--encrypt-vault-id beats it). */
  encryptIdentity?: string;
  /** ask_vault_pass of ansible.cfg or ANSIBLE_ASK_VAULT_PASS: prompt, as -J. */
  askPass?: boolean;
}

export function addVaultFlags(cmd: Command): Command {
  return cmd
    .option("--vault-id <[label@]source>", "vault password: a file, an executable that prints it, or 'prompt'; LABEL is the vault id (repeatable)", collect)
    .option("--vault-password-file <file>", "vault password file, or an executable that prints the password (repeatable)", collect)
    .addOption(new Option("--vault-pass-file <file>", "same as --vault-password-file").argParser(collect).hideHelp())
    .option("-J, --ask-vault-pass", "prompt for the vault password (not echoed)")
    .addOption(new Option("--ask-vault-password", "same as --ask-vault-pass").hideHelp());
}

/**
 * The vault id specs in Ansible's order (ansible-core 2.14 cli/__init__.py): the configured identity
 * list first, then --vault-id, the password files, ansible.cfg's password file, then the prompt.
 */
export function vaultIdSpecs(f: VaultFlags, d: VaultDefaults = {}): string[] {
  const specs = [...(d.identityList ?? []), ...(f.vaultId ?? [])];
  for (const file of [...(f.vaultPasswordFile ?? []), ...(f.vaultPassFile ?? [])]) specs.push(`${DEFAULT_VAULT_ID}@${file}`);
  if (d.passwordFile) specs.push(`${DEFAULT_VAULT_ID}@${d.passwordFile}`);
  if (f.askVaultPass || f.askVaultPassword || d.askPass) specs.push(`${DEFAULT_VAULT_ID}@prompt`);
  return specs;
}

/**
 * Read every password (files, scripts, prompts); the same id and source twice is read once. As in
 * Ansible, a password file or script that fails is a warning and the others are still used (a team's
 * vault_identity_list names files not everyone has); it is an error only when no password at all
 * was read. A prompt that fails is an error.
 */
export async function loadVaultSecrets(
  specs: string[],
  io: CliIO,
  promptLabel = (id: string) => (id === DEFAULT_VAULT_ID ? "Vault password: " : `Vault password (${id}): `),
): Promise<VaultSecret[]> {
  const out: VaultSecret[] = [];
  const seen = new Set<string>();
  const failed: Array<{ id: string; error: InputError }> = [];
  for (const spec of specs) {
    const { id, source } = parseVaultId(spec);
    if (seen.has(`${id}@${source}`)) continue;
    seen.add(`${id}@${source}`);
    if (source === "prompt" || source === "prompt_ask_vault_pass") {
      const pw = await promptHidden(io, promptLabel(id));
      if (pw === "") throw new InputError(`empty vault password at the prompt (vault id '${id}')`);
      out.push({ id, password: Buffer.from(pw.trim(), "utf8"), source: "prompt" });
    } else {
      try {
        out.push(readPasswordSource(id, source));
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        failed.push({ id, error: e });
      }
    }
  }
  // none read: the last failure is the error (the others are still told)
  const last = out.length === 0 ? failed.pop() : undefined;
  for (const f of failed) io.err(`warning: vault id '${f.id}': ${f.error.message}; going on without it\n`);
  if (last) throw last.error;
  // a vault password is itself a secret: masked if it ever shows in output
  for (const s of out) registerSecret(s.password.toString("utf8"));
  return out;
}

/** Before a command's action: fill the keyring from its flags, the config and the environment. */
export async function setupVault(f: VaultFlags, io: CliIO, d: VaultDefaults): Promise<void> {
  setVaultSecrets(await loadVaultSecrets(vaultIdSpecs(f, d), io));
}

/** vault_password_file and vault_identity_list of ansible.cfg, or ANSIBLE_VAULT_PASSWORD_FILE / _IDENTITY_LIST. */
export function vaultDefaults(): VaultDefaults {
  const { settings } = resolveSettings(process.env);
  const d: VaultDefaults = {};
  const file = settings.vault_password_file?.value;
  if (typeof file === "string" && file) d.passwordFile = file;
  const ids = settings.vault_identity_list?.value;
  if (typeof ids === "string" && ids)
    d.identityList = ids
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const enc = settings.vault_encrypt_identity?.value;
  if (typeof enc === "string" && enc) d.encryptIdentity = enc;
  if (settings.ask_vault_pass?.value === true) d.askPass = true;
  return d;
}
