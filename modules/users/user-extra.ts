// The rest of ansible.builtin.user's arguments, apart from user.ts to keep each file short:
// non_unique, skeleton, umask, password_expire_max/min, the SSH key pair (generate_ssh_key and
// ssh_key_*), and the arguments Ansible uses on other systems only (macOS, BSD, Solaris), which
// have nothing to do on Linux in Ansible either. Pure: schema, checks and shell text.
import { ArgError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import type { JSONSchema } from "../../engine/core/module.js";
import { shJoin, shq } from "../../engine/core/shell.js";

export interface UserExtraArgs {
  non_unique?: boolean;
  skeleton?: string;
  umask?: string;
  password_expire_max?: number;
  password_expire_min?: number;
  generate_ssh_key?: boolean;
  ssh_key_type?: string;
  ssh_key_bits?: number;
  ssh_key_file?: string;
  ssh_key_comment?: string;
  ssh_key_passphrase?: string;
  local?: boolean;
  seuser?: string;
  hidden?: boolean;
  login_class?: string;
  profile?: string;
  role?: string;
  authorization?: string;
}

const OTHER_SYSTEMS = "Ansible uses it on other systems only; on Linux it has nothing to do, in Ansible as in keel.";

export const USER_EXTRA_PROPS: Record<string, JSONSchema> = {
  non_unique: { type: "boolean", default: false, description: "With uid: allow a uid another account already has (useradd/usermod -o)." },
  skeleton: { type: "string", description: "The folder a new home is copied from (useradd -k; /etc/skel when not given)." },
  umask: {
    type: "string",
    pattern: "^[0-7]{3,4}$",
    description: "The umask the home directory is created with when the user is created (useradd -K UMASK=…).",
  },
  password_expire_max: { type: "integer", description: "Maximum days between password changes (chage -M), compared with /etc/shadow. Needs become." },
  password_expire_min: { type: "integer", description: "Minimum days between password changes (chage -m), compared with /etc/shadow. Needs become." },
  generate_ssh_key: {
    type: "boolean",
    default: false,
    description:
      "Ensure the user has an SSH key pair at ssh_key_file (ssh-keygen -N ''), owned by the user; an existing key (or .pub) is kept " +
      "unless force: true, as in Ansible. The result has ssh_key_file, ssh_public_key and ssh_fingerprint.",
  },
  ssh_key_type: { type: "string", default: "rsa", description: "Key type for generate_ssh_key (ssh-keygen -t)." },
  ssh_key_bits: { type: "integer", minimum: 0, default: 0, description: "Key size for generate_ssh_key (ssh-keygen -b); 0: ssh-keygen's default." },
  ssh_key_file: { type: "string", description: "Key path for generate_ssh_key, relative to the home directory unless absolute. Default .ssh/id_TYPE." },
  ssh_key_comment: { type: "string", description: "Key comment for generate_ssh_key. Default 'ansible-generated on HOSTNAME' (the host's name), as Ansible." },
  ssh_key_passphrase: { type: "string", description: "Not implemented: keel does not drive ssh-keygen's passphrase prompt. Refused." },
  local: { type: "boolean", description: "Only false is implemented (accounts through useradd). true (luseradd) is refused." },
  seuser: { type: "string", description: "SELinux user (useradd -Z): not implemented, refused." },
  hidden: { type: "boolean", description: `macOS: hide the account. ${OTHER_SYSTEMS}` },
  login_class: { type: "string", description: `BSD login class. ${OTHER_SYSTEMS}` },
  profile: { type: "string", description: `Solaris profile. ${OTHER_SYSTEMS}` },
  role: { type: "string", description: `Solaris role. ${OTHER_SYSTEMS}` },
  authorization: { type: "string", description: `Solaris authorizations. ${OTHER_SYSTEMS}` },
};

/** The load-time refusals of arguments keel does not implement. */
export function validateExtra(a: UserExtraArgs): void {
  if (a.local === true)
    throw new ArgError("local", "local: true (luseradd, accounts outside the name service) is not implemented", "use local: false (useradd)");
  if (a.seuser !== undefined) throw new ArgError("seuser", "seuser (SELinux user, useradd -Z) is not implemented", "remove seuser");
  if (a.ssh_key_passphrase !== undefined)
    throw new ArgError(
      "ssh_key_passphrase",
      "ssh_key_passphrase is not implemented (keel does not drive ssh-keygen's prompt)",
      "generate the key without a passphrase, or with a command task",
    );
  // the key comment ends up on the one line of the .pub file (and of authorized_keys when copied);
  // a carriage return is refused too, as everywhere else (refuseLineBreaks)
  refuseLineBreaksIn(a, ["ssh_key_type", "ssh_key_file", "ssh_key_comment", "skeleton"], "the account's SSH key files");
}

/** useradd flags of the extra arguments (after -u: -o; with a created home: -k, -K UMASK=). */
export function useraddExtra(a: UserExtraArgs & { create_home?: boolean; uid?: number }): string[] {
  const out: string[] = [];
  if (a.uid !== undefined && a.non_unique) out.push("-o");
  if (a.create_home !== false) {
    if (a.skeleton !== undefined) out.push("-k", a.skeleton);
    if (a.umask !== undefined) out.push("-K", `UMASK=${a.umask}`);
  }
  return out;
}

/** /etc/shadow's min (field 4) or max (field 5) as Python's spwd gives it: -1 when empty. */
export function shadowDays(field: string | undefined): number {
  return field === undefined || field === "" ? -1 : Number(field);
}

/** chage flags for password_expire_min/max that differ from the shadow entry (all given ones when unknown). */
export function chageFlags(a: UserExtraArgs, cur?: { minDays: number; maxDays: number }): string[] {
  const out: string[] = [];
  if (a.password_expire_min !== undefined && (!cur || cur.minDays !== a.password_expire_min)) out.push("-m", String(a.password_expire_min));
  if (a.password_expire_max !== undefined && (!cur || cur.maxDays !== a.password_expire_max)) out.push("-M", String(a.password_expire_max));
  return out;
}

// ------------------------------------------------------------------------------------ SSH key

/** Shell that sets _ku_key to the key path: absolute, or below the account's home (`$1` = home). */
function keyPathSh(a: UserExtraArgs, homeExpr: string): string {
  const f = a.ssh_key_file ?? `.ssh/id_${a.ssh_key_type ?? "rsa"}`;
  return f.startsWith("/") ? `_ku_key=${shq(f)}` : `_ku_key=${homeExpr}/${shq(f)}`;
}

/** Probe lines (inside the "account exists" branch, with $_ku_home set): one @sshkey record. */
export function sshKeyProbe(a: UserExtraArgs): string[] {
  if (!a.generate_ssh_key) return [];
  return [
    keyPathSh(a, '"$_ku_home"'),
    "printf '@sshkey\\n'",
    "printf 'path=%s\\n' \"$_ku_key\"",
    'if [ -e "$_ku_key" ]; then echo key=1; else echo key=0; fi',
    'if [ -e "$_ku_key.pub" ]; then echo pub=1; printf \'pubkey:b64=%s\\n\' "$(base64 < "$_ku_key.pub" | tr -d \'\\n\')"; else echo pub=0; fi',
    'if [ -e "$_ku_key" ]; then printf \'fp:b64=%s\\n\' "$(ssh-keygen -l -f "$_ku_key" 2>&1 | base64 | tr -d \'\\n\')"; fi',
  ];
}

export interface SshKeyState {
  path: string;
  key: boolean;
  pub: boolean;
  pubkey?: string;
  fingerprint?: string;
}

/**
 * ssh_key_gen as Ansible runs it: nothing when the key or its .pub exists (unless force), else
 * ssh-keygen without passphrase into a 0700 folder made for it, both files owned by the user.
 */
export function sshKeygenCommand(name: string, a: UserExtraArgs & { force?: boolean }): string {
  const kg = ["ssh-keygen", "-q", "-t", a.ssh_key_type ?? "rsa", ...(a.ssh_key_bits ? ["-b", String(a.ssh_key_bits)] : [])];
  const comment = a.ssh_key_comment !== undefined ? shq(a.ssh_key_comment) : '"ansible-generated on $(hostname)"';
  const own = shq(`${name}:`);
  const gen = [
    `_ku_d=$(dirname -- "$_ku_key") && { [ -d "$_ku_d" ] || { mkdir -m 0700 -- "$_ku_d" && chown ${own} "$_ku_d"; }; } &&`,
    `${shJoin(kg)} -C ${comment} -f "$_ku_key" -N '' </dev/null >/dev/null && chown ${own} "$_ku_key" "$_ku_key.pub"`,
  ].join(" ");
  return [
    `${keyPathSh(a, `"$(getent passwd ${shq(name)} | head -n 1 | cut -d: -f6)"`)} &&`,
    a.force ? `rm -f -- "$_ku_key" "$_ku_key.pub" && ${gen}` : `if [ ! -e "$_ku_key" ] && [ ! -e "$_ku_key.pub" ]; then ${gen}; fi`,
  ].join(" ");
}

/** After ssh-keygen: the same @sshkey record as the probe's, to fill the result. */
export function sshKeyReadCommand(name: string, a: UserExtraArgs): string {
  return [`_ku_home=$(getent passwd ${shq(name)} | head -n 1 | cut -d: -f6)`, ...sshKeyProbe(a)].join("\n");
}

/** The register fields Ansible returns for a key. */
export function sshKeyResult(k: Pick<SshKeyState, "path" | "pubkey" | "fingerprint">): Record<string, unknown> {
  return { ssh_key_file: k.path, ssh_public_key: (k.pubkey ?? "").trim(), ssh_fingerprint: (k.fingerprint ?? "").trim() };
}
