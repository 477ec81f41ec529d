// ansible.cfg settings that change a run's RESULT (variable values, which tasks run, how templates
// render, who runs them) and that keel cannot honour: set to anything but the value that is what keel
// does (Ansible's default), they stop the load at ansible.cfg:LINE (or name the ANSIBLE_* variable)
// with a hint, instead of being dropped without a word. Settings that only change the
// presentation (stdout_callback, nocows, log_path, callbacks, retry files, colors…) or that cannot
// change a result here (remote_tmp, pipelining, forks of Python…) stay silently unread. Settings keel
// honours are in ansiblecfg.ts (SETTINGS). Pure apart from reading the file.
import { readFileSync } from "node:fs";
import { InputError } from "../core/errors.js";
import { findConfigFile, parseIniConfig } from "./ansiblecfg.js";

export interface RefusedSetting {
  section: string;
  key: string;
  env: string[];
  /** The values that are what keel does (compared lower case); anything else is refused. None: any value is refused. */
  accept: string[];
  /** What to do instead. */
  hint: string;
}

const TRUE = ["true", "yes", "y", "on", "1", "t"];
const FALSE = ["false", "no", "n", "off", "0", "f"];

export const REFUSED_SETTINGS: RefusedSetting[] = [
  {
    section: "defaults",
    key: "hash_behaviour",
    env: ["ANSIBLE_HASH_BEHAVIOUR"],
    accept: ["replace"],
    hint: "keel replaces a dict variable defined again, as Ansible's default: merge the dicts where you need it with the combine filter ({{ a | combine(b, recursive=true) }}) and remove hash_behaviour",
  },
  {
    section: "defaults",
    key: "error_on_undefined_vars",
    env: ["ANSIBLE_ERROR_ON_UNDEFINED_VARS"],
    accept: TRUE,
    hint: "keel fails a task that uses an undefined variable, as Ansible's default: give the variables a default ({{ x | default('') }}) and remove the setting",
  },
  {
    section: "defaults",
    key: "jinja2_native",
    env: ["ANSIBLE_JINJA2_NATIVE"],
    accept: FALSE,
    hint: "keel renders templates to strings as Ansible's default (values that look like lists/dicts/numbers are read back as such): remove jinja2_native",
  },
  {
    section: "defaults",
    key: "any_errors_fatal",
    env: ["ANSIBLE_ANY_ERRORS_FATAL"],
    accept: FALSE,
    hint: "keel does not stop every host at the first failure: use serial batches (a failed batch stops the play) and remove any_errors_fatal",
  },
  {
    section: "defaults",
    key: "force_handlers",
    env: ["ANSIBLE_FORCE_HANDLERS"],
    accept: FALSE,
    hint: "keel does not run notified handlers of a host that failed: remove force_handlers",
  },
  {
    section: "defaults",
    key: "private_role_vars",
    env: ["ANSIBLE_PRIVATE_ROLE_VARS"],
    accept: FALSE,
    hint: "keel keeps role vars visible after the role, as Ansible's default: remove private_role_vars",
  },
  {
    section: "defaults",
    key: "jinja2_extensions",
    env: ["ANSIBLE_JINJA2_EXTENSIONS"],
    accept: [""],
    hint: "keel's templates have no Jinja2 extensions: remove jinja2_extensions",
  },
  {
    section: "defaults",
    key: "null_representation",
    env: ["ANSIBLE_NULL_REPRESENTATION"],
    accept: [],
    hint: "keel renders a null as Ansible's default (None): remove null_representation",
  },
  {
    section: "defaults",
    key: "inject_facts_as_vars",
    env: ["ANSIBLE_INJECT_FACT_VARS"],
    accept: TRUE,
    hint: "keel sets facts both as ansible_facts.x and as ansible_x variables, as Ansible's default: remove inject_facts_as_vars",
  },
  {
    section: "defaults",
    key: "executable",
    env: ["ANSIBLE_EXECUTABLE"],
    accept: ["/bin/sh"],
    hint: "keel runs commands with /bin/sh: remove executable, or set it per task with shell's executable",
  },
  { section: "defaults", key: "fact_path", env: ["ANSIBLE_FACT_PATH"], accept: [], hint: "keel reads local facts from /etc/ansible/facts.d: remove fact_path" },
  { section: "defaults", key: "gather_subset", env: ["ANSIBLE_GATHER_SUBSET"], accept: [], hint: "write gather_subset in the plays instead" },
  {
    section: "defaults",
    key: "task_timeout",
    env: ["ANSIBLE_TASK_TIMEOUT"],
    accept: ["0"],
    hint: "keel has no task timeout here: use --command-timeout, and remove task_timeout",
  },
  {
    section: "defaults",
    key: "precedence",
    env: ["ANSIBLE_PRECEDENCE"],
    accept: [],
    hint: "keel follows Ansible's default variable precedence: remove precedence",
  },
  {
    section: "defaults",
    key: "playbook_vars_root",
    env: ["ANSIBLE_PLAYBOOK_VARS_ROOT"],
    accept: ["top"],
    hint: "keel reads group_vars/host_vars next to the top playbook (top): remove playbook_vars_root",
  },
  { section: "defaults", key: "no_log", env: ["ANSIBLE_NO_LOG"], accept: FALSE, hint: "set no_log: true on the plays or tasks whose output must be hidden" },
  { section: "defaults", key: "module_args", env: ["ANSIBLE_MODULE_ARGS"], accept: [], hint: "give the arguments on each task" },
  {
    section: "defaults",
    key: "transport",
    env: ["ANSIBLE_TRANSPORT"],
    accept: ["smart", "ssh", "paramiko"],
    hint: "keel connects over SSH; use -c local or ansible_connection: local for this machine",
  },
  { section: "defaults", key: "su", env: ["ANSIBLE_SU"], accept: FALSE, hint: "keel becomes another user with sudo only" },
  {
    section: "defaults",
    key: "string_conversion_action",
    env: ["ANSIBLE_STRING_CONVERSION_ACTION"],
    accept: ["warn", "ignore"],
    hint: "keel converts a non-string module argument to a string as Ansible does by default: remove the setting",
  },
  { section: "defaults", key: "allow_unsafe_lookups", env: [], accept: FALSE, hint: "keel never templates lookup results again: remove allow_unsafe_lookups" },
  {
    section: "privilege_escalation",
    key: "become_exe",
    env: ["ANSIBLE_BECOME_EXE"],
    accept: ["sudo"],
    hint: "keel runs sudo from the PATH: remove become_exe",
  },
  {
    section: "privilege_escalation",
    key: "become_flags",
    env: ["ANSIBLE_BECOME_FLAGS"],
    accept: ["-h -s -n", "-h -s", ""],
    hint: "keel runs sudo with its own flags: remove become_flags",
  },
  { section: "tags", key: "run", env: ["ANSIBLE_RUN_TAGS"], accept: [""], hint: "give the tags with --tags" },
  { section: "tags", key: "skip", env: ["ANSIBLE_SKIP_TAGS"], accept: [""], hint: "give the tags with --skip-tags" },
];

/**
 * Throws an InputError for the first setting of REFUSED_SETTINGS that is set to a value keel does
 * not do: the environment variable first (it beats the file, as in Ansible), else the file's line.
 */
export function checkRefusedSettings(env: NodeJS.ProcessEnv = process.env, file: string | undefined = findConfigFile(env)): void {
  const ini = file ? parseIniConfig(readFileSync(file, "utf8"), file) : undefined;
  for (const r of REFUSED_SETTINGS) {
    // an empty variable is unset, as resolveSettings reads the honoured ones
    const envName = r.env.find((e) => env[e] !== undefined && env[e] !== "");
    const fileValue = ini?.get(r.section)?.get(r.key);
    const raw = envName ? env[envName]! : fileValue?.value;
    if (raw === undefined || r.accept.includes(raw.trim().toLowerCase())) continue;
    const what = `changes the result of a run, and keel cannot honour it`;
    if (envName) throw new InputError(`${envName}=${raw} (environment) ${what}`, undefined, r.hint);
    throw new InputError(`[${r.section}] ${r.key} = ${raw} ${what}`, { file: file!, line: fileValue!.line, col: 1 }, r.hint, `${r.key} = ${raw}`);
  }
}
