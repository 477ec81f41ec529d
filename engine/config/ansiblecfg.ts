// ansible.cfg, as Ansible finds and reads it: the first of ANSIBLE_CONFIG (a file, or a folder
// holding ansible.cfg), ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg wins (the files are
// not merged). Each setting keel honours has its ANSIBLE_* environment variable, which beats the
// file; CLI flags beat both (engine/cli). Reading is pure apart from finding the file.
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { InputError } from "../core/errors.js";

export type SettingType = "string" | "int" | "bool" | "path" | "pathlist";

export interface SettingDef {
  name: string;
  section: string;
  /** ini keys, preferred first (older spellings after). */
  keys: string[];
  env: string[];
  type: SettingType;
  /** What keel does with it (shown by keel config). */
  use: string;
  /** The values a string setting may take (another one is an error at its file:line). */
  choices?: string[];
}

export const SETTINGS: SettingDef[] = [
  {
    name: "inventory",
    section: "defaults",
    keys: ["inventory", "hostfile"],
    env: ["ANSIBLE_INVENTORY"],
    type: "pathlist",
    use: "inventory when no -i is given",
  },
  { name: "forks", section: "defaults", keys: ["forks"], env: ["ANSIBLE_FORKS"], type: "int", use: "hosts in parallel unless -f" },
  {
    name: "remote_user",
    section: "defaults",
    keys: ["remote_user"],
    env: ["ANSIBLE_REMOTE_USER"],
    type: "string",
    use: "login user of hosts whose inventory names none (-u overrides)",
  },
  {
    name: "remote_port",
    section: "defaults",
    keys: ["remote_port"],
    env: ["ANSIBLE_REMOTE_PORT"],
    type: "int",
    use: "SSH port of hosts whose inventory names none (ansible_port overrides; beats ssh_config's Port, as Ansible's -o Port)",
  },
  {
    name: "private_key_file",
    section: "defaults",
    keys: ["private_key_file"],
    env: ["ANSIBLE_PRIVATE_KEY_FILE"],
    type: "path",
    use: "key of hosts whose inventory names none (--private-key overrides)",
  },
  {
    name: "roles_path",
    section: "defaults",
    keys: ["roles_path"],
    env: ["ANSIBLE_ROLES_PATH"],
    type: "pathlist",
    use: "where roles are searched (after the playbook's roles/)",
  },
  {
    name: "collections_path",
    section: "defaults",
    keys: ["collections_path", "collections_paths"],
    env: ["ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"],
    type: "pathlist",
    use: "where collections are searched",
  },
  {
    name: "host_key_checking",
    section: "defaults",
    keys: ["host_key_checking"],
    env: ["ANSIBLE_HOST_KEY_CHECKING"],
    type: "bool",
    use: "False: host keys not checked (one warning line per run)",
  },
  {
    name: "timeout",
    section: "defaults",
    keys: ["timeout"],
    env: ["ANSIBLE_TIMEOUT"],
    type: "int",
    use: "SSH connect timeout in seconds unless -T or the host's ansible_timeout",
  },
  {
    name: "vault_password_file",
    section: "defaults",
    keys: ["vault_password_file"],
    env: ["ANSIBLE_VAULT_PASSWORD_FILE"],
    type: "path",
    use: "vault password (a file or an executable)",
  },
  {
    name: "vault_identity_list",
    section: "defaults",
    keys: ["vault_identity_list"],
    env: ["ANSIBLE_VAULT_IDENTITY_LIST"],
    type: "string",
    use: "vault ids, label@source, comma separated",
  },
  {
    name: "vault_encrypt_identity",
    section: "defaults",
    keys: ["vault_encrypt_identity"],
    env: ["ANSIBLE_VAULT_ENCRYPT_IDENTITY"],
    type: "string",
    use: "vault id keel vault encrypts with when several are given (--encrypt-vault-id overrides)",
  },
  {
    name: "gathering",
    section: "defaults",
    keys: ["gathering"],
    env: ["ANSIBLE_GATHERING"],
    type: "string",
    choices: ["implicit", "explicit", "smart"],
    use: "explicit: a play gathers facts only with gather_facts: true; implicit and smart: unless gather_facts: false (keel gathers once per host per run, as smart)",
  },
  {
    name: "ask_pass",
    section: "defaults",
    keys: ["ask_pass"],
    env: ["ANSIBLE_ASK_PASS"],
    type: "bool",
    use: "True: prompt for the SSH password (as -k) unless a connection password file is given",
  },
  {
    name: "ask_vault_pass",
    section: "defaults",
    keys: ["ask_vault_pass"],
    env: ["ANSIBLE_ASK_VAULT_PASS"],
    type: "bool",
    use: "True: prompt for the vault password (as -J/--ask-vault-pass), after the other password sources",
  },
  {
    name: "connection_password_file",
    section: "defaults",
    keys: ["connection_password_file"],
    env: ["ANSIBLE_CONNECTION_PASSWORD_FILE"],
    type: "path",
    use: "SSH password file (as --connection-password-file) unless -k or the flag is given",
  },
  {
    name: "become_password_file",
    section: "defaults",
    keys: ["become_password_file"],
    env: ["ANSIBLE_BECOME_PASSWORD_FILE"],
    type: "path",
    use: "sudo password file (as --become-password-file) unless -K or the flag is given",
  },
  {
    name: "become_ask_pass",
    section: "privilege_escalation",
    keys: ["become_ask_pass"],
    env: ["ANSIBLE_BECOME_ASK_PASS"],
    type: "bool",
    use: "True: prompt for the sudo password (as -K) unless a become password file is given",
  },
  {
    name: "become",
    section: "privilege_escalation",
    keys: ["become"],
    env: ["ANSIBLE_BECOME"],
    type: "bool",
    use: "default become of plays and tasks (as -b)",
  },
  {
    name: "become_user",
    section: "privilege_escalation",
    keys: ["become_user"],
    env: ["ANSIBLE_BECOME_USER"],
    type: "string",
    use: "default become user (as --become-user)",
  },
  {
    name: "become_method",
    section: "privilege_escalation",
    keys: ["become_method"],
    env: ["ANSIBLE_BECOME_METHOD"],
    type: "string",
    use: "must be sudo (keel becomes with sudo only)",
  },
  {
    name: "ssh_args",
    section: "ssh_connection",
    keys: ["ssh_args"],
    env: ["ANSIBLE_SSH_ARGS"],
    type: "string",
    use: "its -o StrictHostKeyChecking / UserKnownHostsFile come first",
  },
];

export interface Setting {
  value: string | number | boolean | string[];
  /** "ANSIBLE_FORKS (environment)", "/etc/ansible/ansible.cfg:12", … */
  source: string;
}

export type Settings = Partial<Record<string, Setting>>;

/** The config file Ansible would read, or undefined. */
export function findConfigFile(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd(), home: string = homedir()): string | undefined {
  const cands: string[] = [];
  const fromEnv = configFromEnv(env, cwd, home);
  if (fromEnv) cands.push(fromEnv);
  // Ansible ignores ./ansible.cfg in a world-writable folder (anyone could plant one)
  const here = join(cwd, "ansible.cfg");
  try {
    if ((statSync(cwd).mode & 0o002) === 0) cands.push(here);
  } catch {
    /* cwd gone */
  }
  cands.push(join(home, ".ansible.cfg"), "/etc/ansible/ansible.cfg");
  return cands.find((c) => existsSync(c) && statSync(c).isFile());
}

/**
 * The current folder when Ansible skips its ansible.cfg because the folder is world-writable (and
 * no ANSIBLE_CONFIG file was used instead): Ansible warns about it, so the user learns why their
 * settings are not applied. Undefined otherwise.
 */
export function ignoredWorldWritableConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd(), home: string = homedir()): string | undefined {
  try {
    if ((statSync(cwd).mode & 0o002) === 0 || !existsSync(join(cwd, "ansible.cfg"))) return undefined;
  } catch {
    return undefined;
  }
  const used = findConfigFile(env, cwd, home);
  if (env.ANSIBLE_CONFIG && used !== undefined && used === configFromEnv(env, cwd, home)) return undefined;
  return cwd;
}

function configFromEnv(env: NodeJS.ProcessEnv, cwd: string, home: string): string | undefined {
  if (!env.ANSIBLE_CONFIG) return undefined;
  const p = resolve(cwd, env.ANSIBLE_CONFIG.replace(/^~(?=$|\/)/, home));
  return existsSync(p) && statSync(p).isDirectory() ? join(p, "ansible.cfg") : p;
}

/** The warning line for ignoredWorldWritableConfig (Ansible's wording, shortened). */
export function worldWritableWarning(folder: string): string {
  return `warning: keel is being run in a world writable directory (${folder}), ignoring its ansible.cfg (anyone could have written it); use ANSIBLE_CONFIG=${join(folder, "ansible.cfg")} if you trust it, or chmod o-w the folder`;
}

interface IniValue {
  value: string;
  line: number;
}

/** Python configparser as Ansible uses it: [section], key = value / key: value, ; inline comments, indented continuation lines. */
export function parseIniConfig(text: string, file: string): Map<string, Map<string, IniValue>> {
  const out = new Map<string, Map<string, IniValue>>();
  let section: Map<string, IniValue> | undefined;
  let last: IniValue | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (/^\s*([#;].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      last.value += "\n" + raw.trim().replace(/\s;.*$/, "");
      return;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (sec) {
      section = out.get(sec[1]!) ?? new Map();
      out.set(sec[1]!, section);
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!kv || !section)
      throw new InputError(
        kv ? "a setting before any [section]" : "not a 'key = value' line",
        { file, line: i + 1, col: 1 },
        "ansible.cfg is an INI file: [defaults] then key = value lines",
        raw,
      );
    last = {
      value: kv[2]!
        .replace(/(^|\s);.*$/, "")
        .trim()
        .replace(/%%/g, "%"),
      line: i + 1,
    };
    section.set(kv[1]!.toLowerCase(), last);
  });
  return out;
}

const TRUE = new Set(["y", "yes", "on", "1", "true", "t"]);
const FALSE = new Set(["n", "no", "off", "0", "false", "f"]);

function convert(def: SettingDef, raw: string, base: string, where: () => InputError): Setting["value"] {
  const v = raw.trim();
  const path = (p: string) => {
    const t = p.replace(/^~(?=$|\/)/, homedir());
    return isAbsolute(t) ? t : resolve(base, t);
  };
  switch (def.type) {
    case "int": {
      if (!/^\d+$/.test(v)) throw where();
      return Number(v);
    }
    case "bool": {
      const l = v.toLowerCase();
      if (TRUE.has(l)) return true;
      if (FALSE.has(l)) return false;
      throw where();
    }
    case "path":
      return path(v);
    case "pathlist":
      return v
        .split(def.name === "inventory" ? "," : ":")
        .map((x) => x.trim())
        .filter(Boolean)
        .map(path);
    default:
      if (def.choices && !def.choices.includes(v)) throw where();
      return v;
  }
}

/**
 * Every setting keel honours with its value and source: the environment beats the file; settings
 * set nowhere are absent. Relative paths in the file are relative to the file's folder (as in
 * Ansible); in the environment, to the current folder.
 */
export function resolveSettings(env: NodeJS.ProcessEnv = process.env, file: string | undefined = findConfigFile(env)): { file?: string; settings: Settings } {
  const ini = file ? parseIniConfig(readFileSync(file, "utf8"), file) : new Map<string, Map<string, IniValue>>();
  const settings: Settings = {};
  for (const def of SETTINGS) {
    const envName = def.env.find((e) => env[e] !== undefined && env[e] !== "");
    if (envName) {
      const raw = env[envName]!;
      settings[def.name] = {
        value: convert(
          def,
          raw,
          process.cwd(),
          () =>
            new InputError(
              `${envName}='${raw}' is not a valid ${def.type === "bool" ? "boolean" : def.type === "int" ? "whole number" : "value"}`,
              undefined,
              def.choices ? `${envName} takes ${def.choices.join(", ")}` : undefined,
            ),
        ),
        source: `${envName} (environment)`,
      };
      continue;
    }
    const sec = ini.get(def.section);
    const key = def.keys.find((k) => sec?.has(k));
    if (!key || !file) continue;
    const iv = sec!.get(key)!;
    settings[def.name] = {
      value: convert(
        def,
        iv.value,
        dirname(file),
        () =>
          new InputError(
            `${key} = ${iv.value} is not a valid ${def.type === "bool" ? "boolean (True or False)" : def.type === "int" ? "whole number" : "value"}`,
            { file, line: iv.line, col: 1 },
            def.choices ? `${key} takes ${def.choices.join(", ")}` : undefined,
          ),
      ),
      source: `${file}:${iv.line}`,
    };
  }
  return file ? { file, settings } : { settings };
}
