// ansible.cfg and ANSIBLE_* settings (engine/config) applied to keel's run options: CLI flags,
// set before, win; then the environment; then the file.
import { InputError } from "../../core/errors.js";
import { checkSshArgs } from "../../inventory/hostspec.js";
import type { RunOptions } from "../../run/options.js";
import { resolveSettings, type Settings } from "../../config/ansiblecfg.js";
import { checkRefusedSettings } from "../../config/ansiblecfg-refused.js";

/** The effective ansible.cfg/environment settings (read at each call: a command reads them once or twice). */
export function ansibleSettings(): { file?: string; settings: Settings } {
  return resolveSettings(process.env);
}

type Applied = Pick<
  RunOptions,
  "hostKeyChecking" | "sshArgs" | "forks" | "become" | "becomeUser" | "defaultUser" | "defaultPort" | "defaultPrivateKeyFile" | "defaultConnectTimeoutMs"
>;
interface GivenFlags {
  forks?: string | undefined;
  become?: boolean | undefined;
  becomeUser?: string | undefined;
}

export function applyAnsibleConfig(run: Applied, f: GivenFlags = {}): void {
  // a setting that would change the result and that keel cannot honour stops here, before any host
  checkRefusedSettings(process.env);
  const { settings: s } = ansibleSettings();
  const val = <T>(n: string) => s[n]?.value as T | undefined;
  if (val<boolean>("host_key_checking") !== undefined) run.hostKeyChecking = val<boolean>("host_key_checking")!;
  const sshArgs = val<string>("ssh_args");
  if (sshArgs) {
    // checked now (before any host is touched); its options are applied per host when connecting
    checkSshArgs(sshArgs, (message, hint) => {
      throw new InputError(`ssh_args (${s.ssh_args!.source}) ${message}`, undefined, hint);
    });
    run.sshArgs = sshArgs;
  }
  if (f.forks === undefined && val<number>("forks") !== undefined) {
    if (val<number>("forks")! < 1) throw new InputError(`forks (${s.forks!.source}) must be at least 1`);
    run.forks = val<number>("forks")!;
  }
  if (!f.become && val<boolean>("become") !== undefined) run.become = val<boolean>("become")!;
  if (f.becomeUser === undefined && val<string>("become_user")) run.becomeUser = val<string>("become_user")!;
  const method = val<string>("become_method");
  if (method && method !== "sudo")
    throw new InputError(
      `become_method = ${method} (${s.become_method!.source}) is not supported`,
      undefined,
      "keel only becomes another user with sudo; use become_method = sudo",
    );
  if (val<string>("remote_user")) run.defaultUser = val<string>("remote_user")!;
  const port = val<number>("remote_port");
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InputError(`remote_port (${s.remote_port!.source}) must be a port, 1 to 65535; got ${port}`);
    run.defaultPort = port;
  }
  if (val<string>("private_key_file")) run.defaultPrivateKeyFile = val<string>("private_key_file")!;
  if (val<number>("timeout")) run.defaultConnectTimeoutMs = val<number>("timeout")! * 1000;
  // roles and collections are searched through these variables by the loaders
  const roles = s.roles_path;
  if (roles && !roles.source.endsWith("(environment)")) process.env.ANSIBLE_ROLES_PATH = (roles.value as string[]).join(":");
  const cols = s.collections_path;
  if (cols && !cols.source.endsWith("(environment)")) process.env.ANSIBLE_COLLECTIONS_PATH = (cols.value as string[]).join(":");
}

/** inventory of ansible.cfg / ANSIBLE_INVENTORY (used when no -i is given). */
export function configInventory(): string[] | undefined {
  return ansibleSettings().settings.inventory?.value as string[] | undefined;
}

/** gathering of ansible.cfg / ANSIBLE_GATHERING: explicit = plays gather facts only with gather_facts: true. */
export function configGathering(): "implicit" | "explicit" | "smart" | undefined {
  return ansibleSettings().settings.gathering?.value as "implicit" | "explicit" | "smart" | undefined;
}

/** ask_pass / become_ask_pass and the two password files of ansible.cfg (the flags, given, win). */
export function configPasswords(): { askPass?: boolean; askBecomePass?: boolean; connectionPasswordFile?: string; becomePasswordFile?: string } {
  const { settings: s } = ansibleSettings();
  const out: ReturnType<typeof configPasswords> = {};
  if (s.ask_pass?.value === true) out.askPass = true;
  if (s.become_ask_pass?.value === true) out.askBecomePass = true;
  if (typeof s.connection_password_file?.value === "string") out.connectionPasswordFile = s.connection_password_file.value;
  if (typeof s.become_password_file?.value === "string") out.becomePasswordFile = s.become_password_file.value;
  return out;
}
