// The keywords keel reads in plays, tasks, blocks and role entries, with one-line descriptions
// (used for did-you-mean hints and by `keel schema` for editor hovers), and the Ansible keywords
// keel deliberately does not support, each with what to do instead.

export const PLAY_KEYWORDS: Record<string, string> = {
  name: "Name of the play, shown in the output.",
  hosts: "Host pattern: all, a group, web*, a:b (union), a:&b (intersection), a:!b (exclusion), ~regex. A list is a union.",
  vars: "Variables for every task of the play.",
  vars_files: "Files of variables (YAML mappings), relative to the playbook, loaded in order over `vars`.",
  become: "Run tasks with sudo (true/false).",
  become_user: "User to become (default root).",
  gather_facts: "Gather facts before the first task (default true).",
  gather_subset:
    "Which facts to gather, as Ansible's setup names them: all (default), min, hardware, network, virtual; !name excludes (`!all,min` gathers the minimal set only).",
  gather_timeout:
    "Seconds for fact gathering, a whole number, given to the facts as to Ansible's setup: on Linux ansible-core 2.14 gives each mount's statvfs a fixed 10 s whatever it says (hardware/linux.py reads its own module's GATHER_TIMEOUT, which nothing sets), and keel's probe does the same; a mount that does not answer gets Ansible's note.",
  serial: 'Run the play on batches of hosts: a number, a percentage ("30%") or a list of them; the last repeats.',
  max_fail_percentage:
    "Stop the run when more than this percentage of a batch's hosts failed or became unreachable (as Ansible: it must be exceeded, so 49 with serial 4 stops at 2 failures; 0 stops at the first). Checked when the batch ends.",
  strategy: "free (default): each host goes at its own pace; linear: hosts run each task in lockstep.",
  tasks: "The play's tasks.",
  handlers: "Tasks run at the end of the play (or at `meta: flush_handlers`) when notified.",
  roles: "Roles applied between pre_tasks and tasks.",
  pre_tasks: "Tasks run before the roles.",
  post_tasks: "Tasks run after the tasks.",
  tags: "Tags added to every task of the play.",
  check_mode: "Run the whole play in check mode (true) or never in check mode (false).",
  collections: "Collections (ns.name) searched for roles given by their short name.",
  remote_user: "Log in as this user (below the inventory's ansible_user and -u, as in Ansible).",
  environment: "Environment variables for the commands of every task (a mapping, or a template giving one).",
  connection: "local: run the play's tasks on this machine (inventory_hostname stays the host's); ssh (default).",
  run_once: "Run each task of the play on one host of each batch; the result is shared with the others.",
};

export const TASK_KEYWORDS: Record<string, string> = {
  name: "Name of the task, shown in the output.",
  when: "Condition(s) (expressions, no {{ }}); a list means all must hold.",
  loop: "Run the task once per item of this list; the item is `item` (see loop_control).",
  with_items: "Ansible's older spelling of `loop` (flattens nested lists one level).",
  with_list: "Ansible's older spelling of `loop`.",
  with_dict: 'Loop over a mapping: each item is {key, value} (as `loop: "{{ d | dict2items }}"`).',
  loop_control: "loop_var: name of the loop variable; label: what to show per item.",
  register: "Save the task's result in this variable.",
  notify: "Handler name(s) or listen topic(s) to notify when the task changed something.",
  tags: "Tags for --tags/--skip-tags.",
  become: "Run with sudo (true/false).",
  become_user: "User to become (default root).",
  ignore_errors: "Carry on when the task fails.",
  changed_when: "Condition(s) that decide whether the task counts as changed.",
  failed_when: "Condition(s) that decide whether the task counts as failed.",
  no_log: "Hide arguments and results from the output (for secrets).",
  check_mode: "true: always run in check mode; false: apply even under --check.",
  retries: "How many times to retry until `until` holds (default 3).",
  until: "Condition to retry the task until (see retries, delay).",
  delay: "Seconds between retries (default 5).",
  vars: "Variables for this task only.",
  args: "Arguments of the module, merged under the ones given with the module key.",
  listen: "Handlers only: extra topic(s) this handler answers to.",
  delegate_to: "Run the task on this host instead (its connection variables; `localhost` is this machine); variables stay the current host's.",
  delegate_facts: "With delegate_to: facts the task sets go to the delegated host.",
  run_once: "Run the task on one host of the batch only; its result (register) is given to every host of the batch.",
  remote_user: "Log in as this user for this task (below the inventory's ansible_user and -u, as in Ansible).",
  environment: "Environment variables for the task's commands (a mapping, or a template giving one); merged over the block's and play's.",
  connection: "local: run this task on this machine; ssh (default).",
};

export const BLOCK_KEYWORDS: Record<string, string> = {
  name: TASK_KEYWORDS.name!,
  block: "Tasks run in order.",
  rescue: "Tasks run when a task of the block fails.",
  always: "Tasks run after the block and rescue, whatever happened.",
  when: TASK_KEYWORDS.when!,
  tags: TASK_KEYWORDS.tags!,
  become: TASK_KEYWORDS.become!,
  become_user: TASK_KEYWORDS.become_user!,
  ignore_errors: TASK_KEYWORDS.ignore_errors!,
  no_log: TASK_KEYWORDS.no_log!,
  check_mode: TASK_KEYWORDS.check_mode!,
  vars: "Variables for the tasks of the block.",
  notify: "Handlers notified by each task of the block that changes something and has no notify: of its own.",
  delegate_to: TASK_KEYWORDS.delegate_to!,
  delegate_facts: TASK_KEYWORDS.delegate_facts!,
  run_once: TASK_KEYWORDS.run_once!,
  remote_user: TASK_KEYWORDS.remote_user!,
  environment: TASK_KEYWORDS.environment!,
  connection: TASK_KEYWORDS.connection!,
};

export const INCLUDE_KEYWORDS: Record<string, string> = {
  name: TASK_KEYWORDS.name!,
  when: "Condition(s) added to every included task.",
  tags: "Tags added to every included task.",
  vars: "Variables for every included task.",
  become: TASK_KEYWORDS.become!,
  become_user: TASK_KEYWORDS.become_user!,
  ignore_errors: TASK_KEYWORDS.ignore_errors!,
  no_log: TASK_KEYWORDS.no_log!,
  check_mode: TASK_KEYWORDS.check_mode!,
  delegate_to: TASK_KEYWORDS.delegate_to!,
  delegate_facts: TASK_KEYWORDS.delegate_facts!,
  run_once: TASK_KEYWORDS.run_once!,
  remote_user: TASK_KEYWORDS.remote_user!,
  environment: TASK_KEYWORDS.environment!,
  connection: TASK_KEYWORDS.connection!,
};

export const ROLE_ENTRY_KEYWORDS: Record<string, string> = {
  role: "Name of the role (a folder under roles/), or a path to it.",
  name: "Same as role.",
  vars: "Variables for the role (above its vars/main.yml).",
  tags: "Tags added to every task of the role.",
  when: "Condition(s) added to every task of the role.",
  become: TASK_KEYWORDS.become!,
  become_user: TASK_KEYWORDS.become_user!,
  remote_user: TASK_KEYWORDS.remote_user!,
  environment: TASK_KEYWORDS.environment!,
  run_once: TASK_KEYWORDS.run_once!,
};

export const LOOP_CONTROL_KEYWORDS: Record<string, string> = {
  loop_var: "Name of the loop variable (default item); needed when loops are nested through includes.",
  label: "What to show for each item instead of the whole item.",
};

/** Meta actions keel runs. */
export const META_ACTIONS = ["flush_handlers", "noop", "end_play", "end_host", "reset_connection", "refresh_inventory", "clear_host_errors"];

/** Ansible keywords keel reads but rejects, with the reason and what to do instead. */
export const UNSUPPORTED: Record<string, string> = {
  local_action: "write the module as the task's key with `delegate_to: localhost`",
  async: "keel runs tasks synchronously; long commands are fine (no timeout by default)",
  poll: "keel runs tasks synchronously",
  any_errors_fatal: "not supported; use serial batches and ignore_errors explicitly",
  vars_prompt: "pass values with -e instead",
  order: "hosts run in inventory order",
  module_defaults: "give the arguments on each task",
  force_handlers: "not supported",
  throttle: "use --forks",
  debugger: "not supported",
  diff: "use --diff on the command line",
  timeout: "not supported",
  action: "write the module as the key: `copy: …` instead of `action: copy …`",
  become_flags: "not supported",
  become_exe: "not supported",
  fact_path: "not supported",
  ignore_unreachable: "not supported",
  serial_batches: "not supported",
  loop_with: "use loop:",
  with_lines: "not supported",
  index_var: "not supported; keep a counter in the items themselves",
  extended: "not supported",
};
