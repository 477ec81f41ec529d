// Turning playbook YAML into a validated Plan. Pure: reads files on the controller, touches no host.
//
// What the Plan holds (contract with engine/run):
// - Tasks hold *effective* settings: `when` and `tags` include those of the enclosing play, role
//   entry, include and blocks (a block also keeps its own, so the runner may skip it whole);
//   become/become_user/ignore_errors/no_log/check_mode are inherited when the task does not set them.
// - Includes (include_tasks/import_tasks) and roles are static: their tasks are spliced into the
//   list in place, in order: pre_tasks, roles (dependencies first), tasks, post_tasks.
// - Ids are stable paths: play "p0"; its tasks "p0.t0"…; a block's tasks "p0.t3.b0", its rescue
//   "p0.t3.r0", its always "p0.t3.a0"; handlers "p0.h0".
import { dirname, join, resolve, isAbsolute, relative } from "node:path";
import { existsSync, readdirSync, statSync } from "node:fs";
import { InputError, didYouMean, type SourcePos } from "../core/errors.js";
import { packageRoot } from "../core/paths.js";
import { YamlFile, isMap, isSeq, isScalar, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import type { Plan, Play, Task, Block, TaskNode, Expr, RoleRef } from "../core/plan.js";
import type { Registry } from "../core/registry.js";
import type { ModuleDef } from "../core/module.js";
import { visit, isScalar as isScalarNode } from "yaml";
import { checkExpr, checkTemplate, hasTemplate, literalText } from "../template/index.js";
import { checkArgs, coerceArgs, parseKeyValue, KvError, propSchema } from "./args.js";
import { PLAY_KEYWORDS, TASK_KEYWORDS, BLOCK_KEYWORDS, INCLUDE_KEYWORDS, ROLE_ENTRY_KEYWORDS, LOOP_CONTROL_KEYWORDS, META_ACTIONS, UNSUPPORTED } from "./keywords.js";

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INCLUDE_KEYS = ["include_tasks", "import_tasks"];
const ROLE_TASK_KEYS = ["import_role", "include_role"];

/** The settings tasks, blocks and include/role entries share, and that their children inherit. */
interface Settings {
  when: Expr[];
  tags: string[];
  vars: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  ignoreErrors?: boolean;
  noLog?: boolean;
  checkMode?: boolean;
}

/** Inherited settings while walking tasks. */
interface Scope extends Settings {
  role?: RoleRef;
  searchDirs: string[];
  /** Folder of the file being read (includes resolve from here). */
  fileDir: string;
  /** A role's tasks/ folder, also searched for includes. */
  roleTasksDir?: string;
  /** Files being included, outermost first (cycle detection). */
  includeStack: string[];
  /** Roles being expanded, outermost first (cycle detection). */
  roleStack: string[];
  inHandlers: boolean;
}

interface PlayCtx {
  play: Play;
  playbookDir: string;
  /** Roles already applied in this play (name + params), so a role runs once unless allow_duplicates. */
  rolesDone: Set<string>;
  /** Handlers coming from roles, added before the play's own handlers. */
  roleHandlers: Task[];
  /** notify targets to check once all handlers are known. */
  notifies: { name: string; pos: SourcePos; file: YamlFile }[];
  /**
   * The play's roles (roles: entries, import_role and their dependencies) in order, with their own
   * defaults and their public vars (vars/main.yml and the entry's vars:, not parameters).
   */
  playRoles: { ref: RoleRef; defaults: Record<string, unknown>; vars: Record<string, unknown> }[];
  /** > 0 while an include_role is applied: its variables stay private, as in Ansible. */
  privateRoles: number;
}

export class Loader {
  private playCount = 0;
  constructor(private readonly registry: Registry) {}

  load(file: string): Plan {
    const abs = resolve(file);
    const plays = this.playbook(file, [], undefined);
    return { file: abs, dir: dirname(abs), plays };
  }

  // -------------------------------------------------------------------------------------------
  // Playbooks and plays

  private playbook(file: string, stack: string[], from: SourcePos | undefined): Play[] {
    const y = readYaml(file, from);
    const root = y.root;
    if (!root || (isScalar(root) && (root.value === null || root.value === ""))) {
      throw new InputError("the playbook is empty", { file, line: 1, col: 1 }, "a playbook is a list of plays, each starting with `- hosts: …` followed by `tasks:`", y.lines[0] ?? "");
    }
    let items: Node[];
    if (isSeq(root)) items = root.items as Node[];
    else if (isMap(root)) items = [root];
    else throw y.error("a playbook must be a list of plays", root, "start each play with `- hosts: …`");
    const plays: Play[] = [];
    const abs = resolve(file);
    for (const item of items) {
      if (!isMap(item)) throw y.error("each entry of a playbook must be a play (a mapping with hosts:) or import_playbook:", item);
      const imp = pairOf(item, "import_playbook");
      if (imp) plays.push(...this.importPlaybook(y, item, imp, [...stack, abs]));
      else plays.push(this.play(y, item));
    }
    return plays;
  }

  private importPlaybook(y: YamlFile, item: YAMLMap, imp: Pair, stack: string[]): Play[] {
    let vars: Record<string, unknown> = {};
    let tags: string[] = [];
    for (const p of item.items as Pair[]) {
      const k = keyOf(y, p);
      if (k === "import_playbook") continue;
      if (k === "vars") vars = varsMap(y, p.value as Node, "vars");
      else if (k === "tags") tags = tagList(y, p.value as Node);
      else if (k === "name") continue;
      else throw unknownKeyword(y, p, k, ["import_playbook", "name", "vars", "tags"], "import_playbook entry");
    }
    const target = stringValue(y, imp.value as Node, "import_playbook");
    if (hasTemplate(target)) throw y.error("import_playbook takes a file name, not a template", imp.value as Node, "playbooks are imported when keel loads, before variables exist");
    const file = join(dirname(y.file), target);
    const abs = resolve(file);
    if (stack.includes(abs)) {
      const base = dirname(stack[0] ?? abs);
      throw y.error(`import cycle: ${[...stack.slice(stack.indexOf(abs)), abs].map((f) => relative(base, f) || f).join(" -> ")}`, imp.value as Node, "remove one of the import_playbook entries");
    }
    if (!existsSync(file)) throw y.error(`playbook not found: ${file}`, imp.value as Node, "the path is relative to the importing playbook");
    const plays = this.playbook(file, stack, y.pos(imp.value as Node));
    for (const p of plays) {
      p.vars = { ...p.vars, ...vars };
      p.tags = uniq([...tags, ...p.tags]);
      if (tags.length) addTags(p.tasks, tags);
    }
    return plays;
  }

  private play(y: YamlFile, node: YAMLMap): Play {
    const id = `p${this.playCount++}`;
    const pos = y.pos(node);
    const playbookDir = dirname(y.file);
    const play: Play = { id, name: "", hosts: "", pos, vars: {}, varsFiles: {}, gatherFacts: true, strategy: "free", tasks: [], handlers: [], tags: [] };
    const sections: Partial<Record<"pre_tasks" | "tasks" | "post_tasks" | "handlers" | "roles", Pair>> = {};
    let hostsSeen = false;
    for (const p of node.items as Pair[]) {
      const k = keyOf(y, p);
      const v = p.value as Node;
      switch (k) {
        case "name":
          play.name = stringValue(y, v, "name");
          break;
        case "hosts":
          play.hosts = hostsValue(y, v);
          hostsSeen = true;
          break;
        case "vars":
          play.vars = varsMap(y, v, "vars");
          break;
        case "vars_files":
          play.varsFiles = this.varsFiles(y, v, playbookDir);
          break;
        case "become":
          play.become = boolValue(y, v, k);
          break;
        case "become_user":
          play.becomeUser = becomeUserValue(y, v);
          break;
        case "become_method":
          becomeMethod(y, v);
          break;
        case "gather_facts":
          play.gatherFacts = boolValue(y, v, k);
          break;
        case "serial":
          play.serial = serialValue(y, v);
          break;
        case "strategy": {
          const s = stringValue(y, v, k);
          if (s !== "free" && s !== "linear") {
            const sug = didYouMean(s, ["free", "linear"]);
            throw y.error(`strategy must be 'free' or 'linear', got '${s}'${sug ? `, did you mean '${sug}'?` : ""}`, v, "free: each host at its own pace (default); linear: all hosts in lockstep");
          }
          play.strategy = s;
          break;
        }
        case "tags":
          play.tags = tagList(y, v);
          break;
        case "check_mode":
          play.checkMode = boolValue(y, v, k);
          break;
        case "pre_tasks":
        case "tasks":
        case "post_tasks":
        case "handlers":
        case "roles":
          sections[k] = p;
          break;
        case "import_playbook":
          throw y.error("a play cannot also be an import_playbook entry", p.key as Node, "put import_playbook in its own list entry");
        default:
          throw unknownKeyword(y, p, k, Object.keys(PLAY_KEYWORDS), "play keyword");
      }
    }
    if (!hostsSeen) throw y.error("this play has no 'hosts:'", node, "add `hosts: all` (or a group or pattern) to say where the play runs");
    if (!play.name) play.name = play.hosts;

    const ctx: PlayCtx = { play, playbookDir, rolesDone: new Set(), roleHandlers: [], notifies: [], playRoles: [], privateRoles: 0 };
    const scope: Scope = {
      when: [],
      tags: play.tags,
      vars: {},
      searchDirs: [playbookDir],
      fileDir: playbookDir,
      includeStack: [resolve(y.file)],
      roleStack: [],
      inHandlers: false,
    };
    const list = (name: "pre_tasks" | "tasks" | "post_tasks") => {
      const p = sections[name];
      if (p) this.taskList(y, p.value as Node, scope, ctx, play.tasks, id, "t", name);
    };
    list("pre_tasks");
    if (sections.roles) {
      const rolesNode = sections.roles.value as Node;
      if (rolesNode && !(isScalar(rolesNode) && rolesNode.value === null)) {
        if (!isSeq(rolesNode)) throw y.error("roles: must be a list of role names or mappings", rolesNode, "roles:\n  - common\n  - { role: web, vars: { port: 80 } }");
        for (const entry of rolesNode.items as Node[]) this.roleEntry(y, entry, scope, ctx, play.tasks, id, "t");
      }
    }
    list("tasks");
    list("post_tasks");
    const handlers: TaskNode[] = [];
    if (sections.handlers) this.taskList(y, sections.handlers.value as Node, { ...scope, inHandlers: true }, ctx, handlers, id, "h", "handlers");
    play.handlers = [...ctx.roleHandlers, ...(handlers as Task[])];
    play.handlers.forEach((h, i) => (h.id = `${id}.h${i}`));
    this.checkNotify(ctx);
    sharePlayRoleVars(ctx);
    return play;
  }

  private varsFiles(y: YamlFile, v: Node, playbookDir: string): Record<string, unknown> {
    const entries: Node[] = isSeq(v) ? (v.items as Node[]) : [v];
    const out: Record<string, unknown> = {};
    for (const e of entries) {
      // An entry may itself be a list: the first file that exists is used (Ansible's first-found).
      const alternatives: Node[] = isSeq(e) ? (e.items as Node[]) : [e];
      let found: string | undefined;
      const tried: string[] = [];
      for (const a of alternatives) {
        const name = stringValue(y, a, "vars_files");
        if (hasTemplate(name)) {
          throw y.error(`vars_files entry '${name}' is a template; keel loads vars_files before any host is known`, a, "use a literal file name, or put per-host values in host_vars/ and group_vars/");
        }
        const f = isAbsolute(name) ? name : join(playbookDir, name);
        tried.push(f);
        if (existsSync(f)) {
          found = f;
          break;
        }
      }
      if (!found) throw y.error(`vars file not found: ${tried.join(", ")}`, e, "paths are relative to the playbook");
      const vf = readYaml(found, y.pos(e));
      const r = vf.root;
      if (!r || (isScalar(r) && r.value === null)) continue;
      Object.assign(out, varsMap(vf, r, "vars file"));
    }
    return out;
  }

  private checkNotify(ctx: PlayCtx): void {
    const names = new Set<string>();
    for (const h of ctx.play.handlers) {
      if (h.name) names.add(h.name);
      h.listen.forEach((l) => names.add(l));
    }
    for (const n of ctx.notifies) {
      if (hasTemplate(n.name) || names.has(n.name)) continue;
      const sug = didYouMean(n.name, names);
      throw n.file.error(
        `notify '${n.name}': no handler has this name or listens to it${sug ? `, did you mean '${sug}'?` : ""}`,
        n.file.lines.length ? offsetOf(n.file, n.pos) : null,
        names.size ? `handlers of this play: ${[...names].join(", ")}` : "this play has no handlers; add them under handlers:",
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Tasks

  private taskList(y: YamlFile, node: Node, scope: Scope, ctx: PlayCtx, out: TaskNode[], prefix: string, kind: string, what: string): void {
    if (!node || (isScalar(node) && node.value === null)) return;
    if (!isSeq(node)) throw y.error(`${what}: must be a list of tasks`, node, `each task starts with '- ': \n${what}:\n  - name: …\n    command: …`);
    for (const item of node.items as Node[]) {
      if (!isMap(item)) throw y.error(`each entry of ${what} must be a task (a mapping)`, item, "write `- name: …` followed by a module such as `command: …`");
      this.taskEntry(y, item, scope, ctx, out, prefix, kind);
    }
  }

  private taskEntry(y: YamlFile, node: YAMLMap, scope: Scope, ctx: PlayCtx, out: TaskNode[], prefix: string, kind: string): void {
    const pairs = node.items as Pair[];
    const keys = pairs.map((p) => keyOf(y, p));
    if (keys.includes("block")) return void out.push(this.block(y, node, scope, ctx, `${prefix}.${kind}${out.length}`));
    const inc = keys.find((k) => INCLUDE_KEYS.includes(k));
    if (inc) return this.include(y, node, inc, scope, ctx, out, prefix, kind);
    const roleKey = keys.find((k) => ROLE_TASK_KEYS.includes(k));
    if (roleKey) return this.roleTask(y, node, roleKey, scope, ctx, out, prefix, kind);
    out.push(this.task(y, node, scope, ctx, `${prefix}.${kind}${out.length}`));
  }

  private task(y: YamlFile, node: YAMLMap, scope: Scope, ctx: PlayCtx, id: string): Task {
    const pos = y.pos(node);
    const task: Task = {
      kind: "task",
      id,
      pos,
      when: [...scope.when],
      tags: [...scope.tags],
      vars: { ...scope.vars },
      become: scope.become,
      becomeUser: scope.becomeUser,
      ignoreErrors: scope.ignoreErrors ?? false,
      noLog: scope.noLog ?? false,
      checkMode: scope.checkMode,
      role: scope.role,
      searchDirs: scope.searchDirs,
      module: "",
      moduleAs: "",
      args: {},
      argsPos: pos,
      argPos: {},
      loopVar: "item",
      notify: [],
      retries: 0,
      delay: 0,
      listen: [],
    };
    let modulePair: Pair | undefined;
    let moduleDef: ModuleDef | undefined;
    let argsKeyword: Pair | undefined;
    let loopPair: Pair | undefined;
    let loopControl: Pair | undefined;
    let untilSeen = false;
    let retries: number | undefined;
    let delay: number | undefined;
    const unknown: [Pair, string][] = [];
    for (const p of node.items as Pair[]) {
      const k = keyOf(y, p);
      const v = p.value as Node;
      if (settingKeyword(task, y, k, v)) continue;
      switch (k) {
        case "name":
          task.name = stringValue(y, v, k);
          checkTemplates(y, v);
          break;
        case "loop":
        case "with_items":
        case "with_list":
        case "with_dict":
          if (loopPair) throw y.error(`'${k}' and '${keyOf(y, loopPair)}' both given; a task has one loop`, p.key as Node, "keep `loop:`");
          loopPair = p;
          break;
        case "loop_control":
          loopControl = p;
          break;
        case "register": {
          const r = stringValue(y, v, k);
          if (!VAR_NAME.test(r)) throw y.error(`register: '${r}' is not a valid variable name`, v, "use letters, digits and _, not starting with a digit");
          task.register = r;
          break;
        }
        case "notify":
          for (const [name, n] of stringList(y, v, k)) {
            task.notify.push(name);
            ctx.notifies.push({ name, pos: y.pos(n), file: y });
          }
          break;
        case "changed_when":
          task.changedWhen = exprList(y, v, k);
          break;
        case "failed_when":
          task.failedWhen = exprList(y, v, k);
          break;
        case "until": {
          const list = exprList(y, v, k);
          if (list.length !== 1) throw y.error("until: takes one condition", v, "join conditions with `and`");
          task.until = list[0];
          untilSeen = true;
          break;
        }
        case "retries":
          retries = intValue(y, v, k);
          break;
        case "delay":
          delay = intValue(y, v, k);
          break;
        case "args":
          if (!isMap(v)) throw y.error("args: must be a mapping of module arguments", v);
          argsKeyword = p;
          break;
        case "listen":
          if (!scope.inHandlers) throw y.error("'listen' is only valid in handlers", p.key as Node, "move this task under handlers:, or use notify: on the task that triggers it");
          task.listen = stringList(y, v, k).map(([s]) => s);
          break;
        default:
          if (k === "meta" || this.registry.has(k)) {
            if (modulePair) {
              throw y.error(`a task runs one module, but this one has two: '${keyOf(y, modulePair)}' and '${k}'`, p.key as Node, "split it into two tasks, each with its own `- name:`");
            }
            modulePair = p;
            moduleDef = this.registry.get(k);
          } else unknown.push([p, k]);
      }
    }
    for (const [p, k] of unknown) throw this.unknownTaskKey(y, p, k, !!modulePair);
    if (!modulePair) {
      throw y.error(task.name ? `task '${task.name}' has no module` : "this task has no module", node, "add one module key, such as `command: /bin/true` or `copy: {dest: …, content: …}`; `keel modules` lists them");
    }
    const mk = keyOf(y, modulePair);
    task.moduleAs = mk;
    task.argsPos = y.pos(modulePair.key as Node);
    if (mk === "meta") {
      const action = stringValue(y, modulePair.value as Node, "meta");
      if (!META_ACTIONS.includes(action)) {
        const sug = didYouMean(action, META_ACTIONS);
        throw y.error(`unknown meta action '${action}'${sug ? `, did you mean '${sug}'?` : ""}`, modulePair.value as Node, `keel supports: ${META_ACTIONS.join(", ")}`);
      }
      task.module = "meta";
      task.args = { action };
      task.argPos = { action: y.pos(modulePair.value as Node) };
    } else {
      const m = moduleDef!;
      task.module = m.name;
      this.moduleArgs(y, task, m, modulePair, argsKeyword);
    }
    if (loopPair && keyOf(y, loopPair) === "with_dict") {
      // Ansible's with_dict is a loop over `dict | dict2items` ({key, value} items)
      const v = loopPair.value as Node;
      checkTemplates(y, v);
      const dv = y.js(v);
      const expr = typeof dv === "string" ? stripTemplate(dv) : undefined;
      if (isMap(v)) task.loop = Object.entries(dv as Record<string, unknown>).map(([key, value]) => ({ key, value }));
      else if (expr !== undefined) task.loop = `{{ (${expr}) | dict2items }}`;
      else throw y.error(`with_dict: must be a mapping or a template that gives one, got ${describe(dv)}`, v, 'write `with_dict: "{{ my_dict }}"`, or `loop: "{{ my_dict | dict2items }}"`');
    } else if (loopPair) {
      const v = loopPair.value as Node;
      checkTemplates(y, v);
      const lv = y.js(v);
      if (!(Array.isArray(lv) || (typeof lv === "string" && hasTemplate(lv)))) {
        throw y.error(`${keyOf(y, loopPair)}: must be a list or a template that gives one, got ${describe(lv)}`, v, 'write `loop: [a, b]` or `loop: "{{ my_list }}"`');
      }
      // with_items flattens one level of nested lists, as in Ansible.
      task.loop = keyOf(y, loopPair) === "with_items" && Array.isArray(lv) ? lv.flatMap((x) => (Array.isArray(x) ? x : [x])) : lv;
    }
    if (loopControl) {
      if (!loopPair) throw y.error("loop_control without a loop", loopControl.key as Node, "add `loop:` to the task, or remove loop_control");
      this.loopControl(y, task, loopControl.value as Node);
    }
    if ((retries !== undefined || delay !== undefined) && !untilSeen) {
      throw y.error("retries/delay need an until: condition", node, "add `until: result is succeeded` (with register: result)");
    }
    task.retries = retries ?? (untilSeen ? 3 : 0);
    task.delay = delay ?? (untilSeen ? 5 : 0);
    return task;
  }

  private unknownTaskKey(y: YamlFile, p: Pair, k: string, haveModule: boolean): InputError {
    if (Object.hasOwn(UNSUPPORTED, k)) return y.error(`'${k}' is not supported by keel`, p.key as Node, UNSUPPORTED[k]);
    if (k === "block" || k === "rescue" || k === "always") return y.error(`'${k}' belongs to a block`, p.key as Node, "a block is `- block: [tasks]` with optional rescue:/always:");
    if (k.startsWith("with_")) return y.error(`'${k}' is not supported by keel`, p.key as Node, "use `loop:` with a list");
    const kw = didYouMean(k, Object.keys(TASK_KEYWORDS));
    if (kw) return y.error(`unknown task keyword '${k}', did you mean '${kw}'?`, p.key as Node);
    const mod = this.registry.suggest(k) ?? didYouMean(k.replace(/^ansible\.builtin\./, ""), this.registry.modules.flatMap((m) => [m.name, ...(m.aliases ?? [])]));
    if (mod && !haveModule) return y.error(`unknown module '${k}', did you mean '${mod}'?`, p.key as Node, "`keel modules` lists the modules");
    if (haveModule) return y.error(`unknown task keyword '${k}'`, p.key as Node, `task keywords: ${Object.keys(TASK_KEYWORDS).join(", ")}`);
    return y.error(`unknown module '${k}'`, p.key as Node, "`keel modules` lists the modules");
  }

  private moduleArgs(y: YamlFile, task: Task, m: ModuleDef, modulePair: Pair, argsKeyword: Pair | undefined): void {
    const args: Record<string, unknown> = {};
    const argPos: Record<string, SourcePos> = {};
    const sources: Record<string, string | undefined> = {};
    const fromMap = (map: YAMLMap) => {
      for (const p of map.items as Pair[]) {
        const k = keyOf(y, p);
        const v = p.value as Node;
        args[k] = y.js(v);
        argPos[k] = y.pos(p.key as Node);
        checkTemplates(y, v);
        sources[k] = isScalar(v) && (typeof v.value === "number" || typeof v.value === "boolean") ? (v as { source?: string }).source : undefined;
      }
    };
    if (argsKeyword) fromMap(argsKeyword.value as YAMLMap);
    const v = modulePair.value as Node;
    if (isMap(v)) fromMap(v);
    else if (isScalar(v) && v.value !== null && (typeof v.value === "string" || typeof v.value === "number")) {
      const text = String(v.value);
      let parsed;
      try {
        parsed = parseKeyValue(m, text, task.moduleAs);
      } catch (e) {
        if (e instanceof KvError) throw errorInScalar(y, v, e.offset, e.message, m.freeForm ? undefined : "write `key=value` pairs, or use the mapping form");
        throw e;
      }
      for (const [k, val] of Object.entries(parsed.args)) {
        args[k] = val;
        argPos[k] = posInScalar(y, v, parsed.offsets[k] ?? 0);
        if (typeof val === "string") checkTemplate(val, argPos[k]!);
      }
    } else if (!(isScalar(v) && v.value === null)) {
      throw y.error(`arguments of '${task.moduleAs}' must be a mapping or key=value text, got ${describe(y.js(v))}`, v, `write \n  ${task.moduleAs}:\n    arg: value`);
    }
    coerceArgs(m, args, sources);
    checkArgs(m, args, argPos, task.argsPos, { as: task.moduleAs, deferTemplated: true, lines: y.lines });
    task.args = args;
    task.argPos = argPos;
    void propSchema;
  }

  private loopControl(y: YamlFile, task: Task, v: Node): void {
    if (!isMap(v)) throw y.error("loop_control: must be a mapping (loop_var:, label:)", v);
    for (const p of v.items as Pair[]) {
      const k = keyOf(y, p);
      const val = p.value as Node;
      if (k === "loop_var") {
        const s = stringValue(y, val, k);
        if (!VAR_NAME.test(s)) throw y.error(`loop_var: '${s}' is not a valid variable name`, val, "use letters, digits and _");
        task.loopVar = s;
      } else if (k === "label") {
        task.loopLabel = stringValue(y, val, k);
      } else throw unknownKeyword(y, p, k, Object.keys(LOOP_CONTROL_KEYWORDS), "loop_control keyword");
    }
  }

  private block(y: YamlFile, node: YAMLMap, scope: Scope, ctx: PlayCtx, id: string): Block {
    if (scope.inHandlers) throw y.error("blocks are not supported in handlers", node, "write each handler as a single task");
    const b: Block = {
      kind: "block",
      id,
      pos: y.pos(node),
      when: [...scope.when],
      tags: [...scope.tags],
      vars: {},
      become: scope.become,
      becomeUser: scope.becomeUser,
      ignoreErrors: scope.ignoreErrors ?? false,
      noLog: scope.noLog ?? false,
      checkMode: scope.checkMode,
      role: scope.role,
      searchDirs: scope.searchDirs,
      block: [],
      rescue: [],
      always: [],
    };
    const lists: Partial<Record<"block" | "rescue" | "always", Node>> = {};
    for (const p of node.items as Pair[]) {
      const k = keyOf(y, p);
      const v = p.value as Node;
      if (settingKeyword(b, y, k, v)) continue;
      switch (k) {
        case "name":
          b.name = stringValue(y, v, k);
          break;
        case "block":
        case "rescue":
        case "always":
          lists[k] = v;
          break;
        default:
          if (k === "loop" || k === "with_items" || k === "with_list" || k === "with_dict") throw y.error("a block cannot loop", p.key as Node, "move the loop onto the tasks, or into an included file's tasks");
          if (this.registry.has(k)) throw y.error(`a block cannot also run a module ('${k}')`, p.key as Node, "move the module into a task inside block:");
          throw unknownKeyword(y, p, k, Object.keys(BLOCK_KEYWORDS), "block keyword");
      }
    }
    if (!lists.block || !isSeq(lists.block)) throw y.error("block: must be a list of tasks", lists.block ?? node);
    const inner: Scope = {
      ...scope,
      when: b.when,
      tags: b.tags,
      vars: scope.vars,
      become: b.become,
      becomeUser: b.becomeUser,
      ignoreErrors: b.ignoreErrors,
      noLog: b.noLog,
      checkMode: b.checkMode,
    };
    this.taskList(y, lists.block, inner, ctx, b.block, id, "b", "block");
    if (lists.rescue) this.taskList(y, lists.rescue, inner, ctx, b.rescue, id, "r", "rescue");
    if (lists.always) this.taskList(y, lists.always, inner, ctx, b.always, id, "a", "always");
    return b;
  }

  /** Common keywords on include/import/role entries: they become inherited settings. */
  private entryScope(y: YamlFile, node: YAMLMap, scope: Scope, skip: string[], allowed: Record<string, string>, what: string): Scope {
    const s: Scope = { ...scope, when: [...scope.when], tags: [...scope.tags], vars: { ...scope.vars } };
    for (const p of node.items as Pair[]) {
      const k = keyOf(y, p);
      const v = p.value as Node;
      if (skip.includes(k)) continue;
      if (settingKeyword(s, y, k, v)) continue;
      switch (k) {
        case "name":
          stringValue(y, v, k);
          break;
        default:
          if (k === "loop" || k === "with_items" || k === "with_list" || k === "with_dict" || k === "loop_control") {
            throw y.error(`keel's ${what} is static and cannot loop`, p.key as Node, "put the loop on the tasks inside the included file");
          }
          if (k === "register" || k === "notify") throw y.error(`'${k}' does not apply to ${what}`, p.key as Node, "put it on the tasks inside");
          throw unknownKeyword(y, p, k, Object.keys(allowed), `keyword of ${what}`);
      }
      void allowed;
    }
    return s;
  }

  private include(y: YamlFile, node: YAMLMap, key: string, scope: Scope, ctx: PlayCtx, out: TaskNode[], prefix: string, kind: string): void {
    const pair = pairOf(node, key)!;
    for (const other of INCLUDE_KEYS) {
      if (other !== key && pairOf(node, other)) throw y.error(`a task cannot have both '${key}' and '${other}'`, pairOf(node, other)!.key as Node);
    }
    let fileNode = pair.value as Node;
    if (isMap(fileNode)) {
      const fp = pairOf(fileNode, "file");
      for (const p of fileNode.items as Pair[]) {
        const k = keyOf(y, p);
        if (k !== "file") throw unknownKeyword(y, p, k, ["file"], `${key} argument`);
      }
      if (!fp) throw y.error(`${key}: needs a file`, fileNode, `write \`${key}: other.yml\``);
      fileNode = fp.value as Node;
    }
    const name = stringValue(y, fileNode, key);
    if (hasTemplate(name)) throw y.error(`${key} takes a file name, not a template ('${name}')`, fileNode, "includes are resolved when the playbook loads; use `when:` on the include to choose between files");
    const s = this.entryScope(y, node, scope, [key], INCLUDE_KEYWORDS, key);
    const dirs = uniq([scope.fileDir, ...(scope.roleTasksDir ? [scope.roleTasksDir] : []), ...scope.searchDirs]);
    const candidates = isAbsolute(name) ? [name] : dirs.map((d) => join(d, name));
    const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
    if (!file) throw y.error(`${key}: file not found: ${name}`, fileNode, `looked in: ${candidates.join(", ")}`);
    const abs = resolve(file);
    if (scope.includeStack.includes(abs)) {
      const chain = [...scope.includeStack.slice(scope.includeStack.indexOf(abs)), abs].map((f) => relative(resolve(ctx.playbookDir), f) || f);
      throw y.error(`include cycle: ${chain.join(" -> ")}`, fileNode, "a file includes itself through this chain; remove one of the includes");
    }
    const inc = readYaml(file, y.pos(fileNode));
    const root = inc.root;
    if (!root || (isScalar(root) && root.value === null)) return;
    this.taskList(inc, root, { ...s, fileDir: dirname(file), includeStack: [...scope.includeStack, abs] }, ctx, out, prefix, kind, "an included task file");
  }

  // -------------------------------------------------------------------------------------------
  // Roles

  private roleTask(y: YamlFile, node: YAMLMap, key: string, scope: Scope, ctx: PlayCtx, out: TaskNode[], prefix: string, kind: string): void {
    if (scope.inHandlers) throw y.error(`${key} is not supported in handlers`, pairOf(node, key)!.key as Node);
    if (key.endsWith("include_role")) {
      ctx.privateRoles++;
      try {
        return this.roleTaskBody(y, node, key, scope, ctx, out, prefix, kind);
      } finally {
        ctx.privateRoles--;
      }
    }
    return this.roleTaskBody(y, node, key, scope, ctx, out, prefix, kind);
  }

  private roleTaskBody(y: YamlFile, node: YAMLMap, key: string, scope: Scope, ctx: PlayCtx, out: TaskNode[], prefix: string, kind: string): void {
    const pair = pairOf(node, key)!;
    const v = pair.value as Node;
    let nameNode: Node | undefined;
    let roleVars: Record<string, unknown> = {};
    const from: RoleFrom = {};
    if (isMap(v)) {
      for (const p of v.items as Pair[]) {
        const k = keyOf(y, p);
        if (k === "name") nameNode = p.value as Node;
        else if (k === "vars") roleVars = varsMap(y, p.value as Node, "vars");
        else if (k === "tasks_from" || k === "vars_from" || k === "defaults_from" || k === "handlers_from") {
          const file = stringValue(y, p.value as Node, k);
          if (hasTemplate(file)) throw y.error(`${k} takes a file name, not a template ('${file}')`, p.value as Node, "roles are resolved when the playbook loads");
          from[k.slice(0, -5) as keyof RoleFrom] = { file, node: p.value as Node, y };
        } else throw unknownKeyword(y, p, k, ["name", "vars", "tasks_from", "vars_from", "defaults_from", "handlers_from"], `${key} argument`);
      }
    } else nameNode = v;
    if (!nameNode) throw y.error(`${key}: needs a role name`, v, `write \`${key}: { name: myrole }\``);
    const s = this.entryScope(y, node, scope, [key], INCLUDE_KEYWORDS, key);
    this.applyRole(y, nameNode, stringValue(y, nameNode, "name"), roleVars, s, ctx, out, prefix, kind, {}, from);
  }

  private roleEntry(y: YamlFile, entry: Node, scope: Scope, ctx: PlayCtx, out: TaskNode[], prefix: string, kind: string): void {
    if (isScalar(entry)) {
      const name = stringValue(y, entry, "role");
      return this.applyRole(y, entry, name, {}, scope, ctx, out, prefix, kind);
    }
    if (!isMap(entry)) throw y.error("a role entry is a name or a mapping with role:", entry, "roles:\n  - common\n  - { role: web, vars: { port: 80 } }");
    let nameNode: Node | undefined;
    const params: Record<string, unknown> = {};
    const entryVars: Record<string, unknown> = {};
    const s: Scope = { ...scope, when: [...scope.when], tags: [...scope.tags], vars: { ...scope.vars } };
    for (const p of entry.items as Pair[]) {
      const k = keyOf(y, p);
      const v = p.value as Node;
      switch (k) {
        case "role":
        case "name":
          if (nameNode) throw y.error("give the role's name once (role: or name:)", p.key as Node);
          nameNode = v;
          break;
        case "vars":
          Object.assign(entryVars, varsMap(y, v, "vars"));
          break;
        case "tags":
          s.tags = uniq([...s.tags, ...tagList(y, v)]);
          break;
        case "when":
          s.when.push(...exprList(y, v, k));
          break;
        case "become":
          s.become = boolValue(y, v, k);
          break;
        case "become_user":
          s.becomeUser = becomeUserValue(y, v);
          break;
        default: {
          if (Object.hasOwn(UNSUPPORTED, k)) throw y.error(`'${k}' is not supported by keel`, p.key as Node, UNSUPPORTED[k]);
          const kw = didYouMean(k, Object.keys(ROLE_ENTRY_KEYWORDS));
          if (kw && kw !== k) throw y.error(`unknown role keyword '${k}', did you mean '${kw}'?`, p.key as Node, "other keys are role parameters; put them under vars: to be explicit");
          // Ansible's role parameters: any other key is a variable for the role.
          if (!VAR_NAME.test(k)) throw y.error(`'${k}' is not a valid variable name for a role parameter`, p.key as Node);
          checkTemplates(y, v);
          params[k] = y.js(v);
        }
      }
    }
    if (!nameNode) throw y.error("this role entry has no name", entry, "write `- role: name` or `- name`");
    this.applyRole(y, nameNode, stringValue(y, nameNode, "role"), params, s, ctx, out, prefix, kind, entryVars);
  }

  private findRole(y: YamlFile, at: Node, name: string, scope: Scope, ctx: PlayCtx): string {
    if (hasTemplate(name)) throw y.error(`role name '${name}' is a template; roles are resolved when the playbook loads`, at);
    const looked: string[] = [];
    if (name.includes("/")) {
      const d = isAbsolute(name) ? name : join(ctx.playbookDir, name);
      if (existsSync(d) && statSync(d).isDirectory()) return d;
      throw y.error(`role not found: ${name}`, at, `looked in: ${d}`);
    }
    const roots = uniq([join(ctx.playbookDir, "roles"), ...(scope.role ? [dirname(scope.role.dir)] : []), join(packageRoot(), "roles")]);
    for (const r of roots) {
      const d = join(r, name);
      looked.push(d);
      if (existsSync(d) && statSync(d).isDirectory()) return d;
    }
    const existing = uniq(roots.flatMap((r) => {
      try {
        return readdirSync(r, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      } catch {
        return [];
      }
    }));
    const sug = didYouMean(name, existing);
    throw y.error(`role '${name}' not found${sug ? `, did you mean '${sug}'?` : ""}`, at, `looked in: ${looked.join(", ")}`);
  }

  /**
   * `entryVars` are the `vars:` of a `roles:` entry: as in Ansible they rank below the role's
   * vars/main.yml, while role parameters (other keys of the entry) rank above it.
   */
  private applyRole(y: YamlFile, at: Node, name: string, params: Record<string, unknown>, scope: Scope, ctx: PlayCtx, out: TaskNode[], prefix: string, kind: string, entryVars: Record<string, unknown> = {}, from: RoleFrom = {}): void {
    const dir = this.findRole(y, at, name, scope, ctx);
    const roleName = name.includes("/") ? name.replace(/\/+$/, "").split("/").pop()! : name;
    const absDir = resolve(dir);
    if (scope.roleStack.includes(absDir)) {
      const chain = [...scope.roleStack.slice(scope.roleStack.indexOf(absDir)), absDir].map((d) => d.split("/").pop());
      throw y.error(`role dependency cycle: ${chain.join(" -> ")}`, at, "remove one of the dependencies in meta/main.yml");
    }
    const load = (sub: keyof RoleFrom | "meta"): YamlFile | undefined => {
      const pick = sub === "meta" ? undefined : from[sub];
      const base = pick?.file ?? "main";
      const files = [join(dir, sub, `${base}.yml`), join(dir, sub, `${base}.yaml`), ...(pick ? [join(dir, sub, base)] : [])];
      for (const f of files) if (existsSync(f)) return readYaml(f, y.pos(at));
      if (pick) throw pick.y.error(`role '${name}' has no ${sub}/${base}.yml`, pick.node, `${sub}_from names a file in the role's ${sub}/ folder, without .yml`);
      return undefined;
    };
    const mapOf = (f: YamlFile | undefined, what: string): Record<string, unknown> => {
      const r = f?.root;
      if (!f || !r || (isScalar(r) && r.value === null)) return {};
      return varsMap(f, r, what);
    };
    const meta = load("meta");
    let allowDuplicates = false;
    let deps: Node[] = [];
    if (meta?.root && isMap(meta.root)) {
      for (const p of meta.root.items as Pair[]) {
        const k = keyOf(meta, p);
        if (k === "dependencies") {
          const v = p.value as Node;
          if (isSeq(v)) deps = v.items as Node[];
          else if (!(isScalar(v) && v.value === null)) throw meta.error("dependencies: must be a list of roles", v);
        } else if (k === "allow_duplicates") allowDuplicates = boolValue(meta, p.value as Node, k);
        // galaxy_info and the rest describe the role; keel does not need them.
      }
    } else if (meta?.root && !(isScalar(meta.root) && meta.root.value === null)) throw meta.error("meta/main.yml must be a mapping", meta.root);

    const key = `${absDir}|${JSON.stringify({ ...entryVars, ...params })}|${Object.values(from).map((f) => f.file).join(",")}`;
    if (ctx.rolesDone.has(key) && !allowDuplicates) return;
    ctx.rolesDone.add(key);

    const stack = [...scope.roleStack, absDir];
    for (const d of deps) this.roleEntry(meta!, d, { ...scope, roleStack: stack }, ctx, out, prefix, kind);

    const ownDefaults = mapOf(load("defaults"), "defaults");
    const publicVars = { ...entryVars, ...mapOf(load("vars"), "vars") };
    const ref: RoleRef = { name: roleName, dir, defaults: ownDefaults, vars: { ...publicVars, ...params } };
    if (ctx.privateRoles === 0) ctx.playRoles.push({ ref, defaults: ownDefaults, vars: publicVars });
    const tasksFile = load("tasks");
    const roleScope: Scope = {
      ...scope,
      role: ref,
      searchDirs: uniq([dir, ctx.playbookDir]),
      fileDir: join(dir, "tasks"),
      roleTasksDir: join(dir, "tasks"),
      includeStack: tasksFile ? [resolve(tasksFile.file)] : [],
      roleStack: stack,
    };
    if (tasksFile?.root) this.taskList(tasksFile, tasksFile.root, roleScope, ctx, out, prefix, kind, "tasks");
    const handlersFile = load("handlers");
    if (handlersFile?.root) {
      const hs: TaskNode[] = [];
      this.taskList(handlersFile, handlersFile.root, { ...roleScope, inHandlers: true, when: [], tags: [], includeStack: [resolve(handlersFile.file)] }, ctx, hs, "role", "h", "handlers");
      ctx.roleHandlers.push(...(hs as Task[]));
    }
  }
}

/**
 * As in Ansible (private_role_vars off), the defaults and vars of the play's roles are visible to
 * the whole play: a role's tasks see every play role's defaults under their own, and the roles'
 * vars join the play's vars after vars_files. (include_role keeps its variables to itself.)
 */
function sharePlayRoleVars(ctx: PlayCtx): void {
  if (ctx.playRoles.length === 0) return;
  const defaults: Record<string, unknown> = {};
  const vars: Record<string, unknown> = {};
  for (const r of ctx.playRoles) {
    Object.assign(defaults, r.defaults);
    Object.assign(vars, r.vars);
  }
  for (const r of ctx.playRoles) r.ref.defaults = { ...defaults, ...r.defaults };
  ctx.play.roleDefaults = defaults;
  ctx.play.varsFiles = { ...ctx.play.varsFiles, ...vars };
}

/** include_role/import_role's tasks_from, vars_from, defaults_from and handlers_from. */
interface RoleFrom {
  tasks?: { file: string; node: Node; y: YamlFile };
  vars?: { file: string; node: Node; y: YamlFile };
  defaults?: { file: string; node: Node; y: YamlFile };
  handlers?: { file: string; node: Node; y: YamlFile };
}

// ---------------------------------------------------------------------------------------------
// Small readers.

const YAML11_BOOL = /^(yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/;

/**
 * Read a YAML file the way Ansible users expect: unquoted yes/no/on/off values are booleans (YAML
 * 1.1, as in Ansible), not strings as YAML 1.2 says. Keys and quoted strings are left alone; the
 * scalar's source text is kept, so an argument that expects a string still gets "yes".
 */
export function readYaml(file: string, from?: SourcePos): YamlFile {
  const y = YamlFile.load(file, from);
  visit(y.doc, {
    Scalar(key, node) {
      // Ansible's `!unsafe`: the value is text, never a template
      if (isScalarNode(node) && node.tag === "!unsafe") {
        node.tag = undefined;
        if (typeof node.value === "string") node.value = literalText(node.value);
        return;
      }
      if (key !== "key" && isScalarNode(node) && node.type === "PLAIN" && typeof node.value === "string" && YAML11_BOOL.test(node.value)) {
        node.source = node.value;
        node.value = /^(yes|on)$/i.test(node.value);
      }
    },
  });
  return y;
}

// Each reader below throws an InputError at the node when the value has the wrong shape.

function keyOf(y: YamlFile, p: Pair): string {
  const k = p.key as Node;
  if (!isScalar(k) || (typeof k.value !== "string" && typeof k.value !== "number")) throw y.error("keys must be plain names", k);
  return String(k.value);
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === key);
}

function unknownKeyword(y: YamlFile, p: Pair, k: string, known: string[], what: string): InputError {
  if (Object.hasOwn(UNSUPPORTED, k)) return y.error(`'${k}' is not supported by keel`, p.key as Node, UNSUPPORTED[k]);
  const sug = didYouMean(k, known);
  return y.error(`unknown ${what} '${k}'${sug ? `, did you mean '${sug}'?` : ""}`, p.key as Node, sug ? undefined : `expected one of: ${known.join(", ")}`);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

function stringValue(y: YamlFile, n: Node, what: string): string {
  if (isScalar(n) && (typeof n.value === "string" || typeof n.value === "number")) return String(n.value);
  throw y.error(`${what}: must be a string, got ${describe(y.js(n))}`, n);
}

function boolValue(y: YamlFile, n: Node, what: string): boolean {
  if (isScalar(n)) {
    if (typeof n.value === "boolean") return n.value;
    if (typeof n.value === "string") {
      const w = n.value.trim().toLowerCase();
      if (["yes", "true", "on"].includes(w)) return true;
      if (["no", "false", "off"].includes(w)) return false;
      if (hasTemplate(n.value)) throw y.error(`${what}: must be true or false; templates are not supported here`, n, "keel decides this when the playbook loads");
    }
  }
  throw y.error(`${what}: must be true or false, got ${describe(y.js(n))}`, n);
}

function intValue(y: YamlFile, n: Node, what: string): number {
  const v = y.js(n);
  const num = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(num) || num < 0) throw y.error(`${what}: must be a whole number, got ${describe(v)}`, n);
  return num;
}

function hostsValue(y: YamlFile, n: Node): string {
  if (isSeq(n)) {
    const parts = (n.items as Node[]).map((i) => stringValue(y, i, "hosts"));
    if (!parts.length) throw y.error("hosts: is empty", n, "write `hosts: all` or a group name");
    return parts.join(":");
  }
  const s = stringValue(y, n, "hosts").trim();
  if (!s) throw y.error("hosts: is empty", n, "write `hosts: all` or a group name");
  return s;
}

function serialValue(y: YamlFile, n: Node): (number | string)[] {
  const items: Node[] = isSeq(n) ? (n.items as Node[]) : [n];
  if (!items.length) throw y.error("serial: is an empty list", n);
  return items.map((i) => {
    const v = y.js(i);
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
    if (typeof v === "string") {
      const t = v.trim();
      if (/^\d+$/.test(t) && Number(t) > 0) return Number(t);
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
      if (pct && Number(pct[1]) > 0 && Number(pct[1]) <= 100) return t;
    }
    throw y.error(`serial: must be a positive number or a percentage like "30%", got ${describe(v)}`, i, 'write `serial: 5`, `serial: "30%"` or `serial: [1, 5, "50%"]`');
  });
}

function tagList(y: YamlFile, n: Node): string[] {
  const v = y.js(n);
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const t of list) {
    if (typeof t === "string") out.push(...t.split(",").map((s) => s.trim()).filter(Boolean));
    else if (typeof t === "number") out.push(String(t));
    else throw y.error(`tags: must be a name or a list of names, got ${describe(t)}`, n);
  }
  return out;
}

function stringList(y: YamlFile, n: Node, what: string): [string, Node][] {
  if (isSeq(n)) return (n.items as Node[]).map((i) => [stringValue(y, i, what), i]);
  return [[stringValue(y, n, what), n]];
}

function varsMap(y: YamlFile, n: Node, what: string): Record<string, unknown> {
  if (isScalar(n) && n.value === null) return {};
  if (!isMap(n)) throw y.error(`${what} must be a mapping of name: value, got ${describe(y.js(n))}`, n, "vars:\n  name: value");
  for (const p of n.items as Pair[]) {
    const k = keyOf(y, p);
    if (!VAR_NAME.test(k)) throw y.error(`'${k}' is not a valid variable name`, p.key as Node, "use letters, digits and _, not starting with a digit");
  }
  checkTemplates(y, n);
  return y.js(n) as Record<string, unknown>;
}

/** The expression of a value that is exactly one `{{ expr }}`, or undefined. */
function stripTemplate(text: string): string | undefined {
  const m = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(text);
  return m && !m[1]!.includes("{{") ? m[1]!.trim() : undefined;
}

/** Check every `{{ }}` template under a node when the playbook loads, at the scalar that holds it. */
function checkTemplates(y: YamlFile, n: Node | null | undefined): void {
  if (!n) return;
  if (isScalar(n)) {
    if (typeof n.value === "string" && (n.value.includes("{{") || n.value.includes("{%"))) checkTemplate(n.value, y.pos(n));
  } else if (isMap(n)) for (const p of n.items as Pair[]) checkTemplates(y, p.value as Node);
  else if (isSeq(n)) for (const item of n.items as Node[]) checkTemplates(y, item);
}

function exprList(y: YamlFile, n: Node, what: string): Expr[] {
  const items: Node[] = isSeq(n) ? (n.items as Node[]) : [n];
  return items.map((i) => {
    if (!isScalar(i) || i.value === null || typeof i.value === "object") throw y.error(`${what}: must be a condition (text or true/false), got ${describe(y.js(i))}`, i);
    const text = typeof i.value === "boolean" ? (i.value ? "True" : "False") : String(i.value);
    const e: Expr = { text, pos: posOfScalarText(y, i) };
    try {
      checkExpr(e);
    } catch (err) {
      if (err instanceof InputError) throw new InputError(err.message, err.pos, err.hint, y.lines[(err.pos?.line ?? 1) - 1]);
      throw err;
    }
    return e;
  });
}

/** become_user: a user name; keel decides whom to become before variables exist, so not a template. */
function becomeUserValue(y: YamlFile, n: Node): string {
  const user = stringValue(y, n, "become_user");
  if (hasTemplate(user)) throw y.error(`become_user: '${user}' is a template; keel does not render become_user`, n, "write the user name, e.g. `become_user: postgres`");
  return user;
}

function becomeMethod(y: YamlFile, n: Node): void {
  const m = stringValue(y, n, "become_method");
  if (m !== "sudo") throw y.error(`become_method '${m}' is not supported; keel becomes with sudo`, n);
}

/** Position of the first character of a scalar's text (after an opening quote). */
function posOfScalarText(y: YamlFile, n: Node): SourcePos {
  return posInScalar(y, n, 0);
}

function posInScalar(y: YamlFile, n: Node, offset: number): SourcePos {
  const p = y.pos(n);
  const t = (n as { type?: string }).type;
  const raw = n.range ? y.text.slice(n.range[0], n.range[1]) : "";
  if ((t === "PLAIN" || t === "QUOTE_DOUBLE" || t === "QUOTE_SINGLE") && !raw.includes("\n")) {
    return { ...p, col: p.col + offset + (t === "PLAIN" ? 0 : 1) };
  }
  return p;
}

function errorInScalar(y: YamlFile, n: Node, offset: number, msg: string, hint?: string): InputError {
  const p = posInScalar(y, n, offset);
  return new InputError(msg, p, hint, y.lines[p.line - 1] ?? "");
}

function offsetOf(y: YamlFile, pos: SourcePos): number {
  let off = 0;
  for (let i = 0; i < pos.line - 1; i++) off += (y.lines[i]?.length ?? 0) + 1;
  return off + pos.col - 1;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function addTags(nodes: TaskNode[], tags: string[]): void {
  for (const n of nodes) {
    n.tags = uniq([...tags, ...n.tags]);
    if (n.kind === "block") {
      addTags(n.block, tags);
      addTags(n.rescue, tags);
      addTags(n.always, tags);
    }
  }
}

/** Sets a shared keyword (when, tags, vars, become…) and returns true, or returns false for any other. */
function settingKeyword(n: Settings, y: YamlFile, k: string, v: Node): boolean {
  switch (k) {
    case "when":
      n.when.push(...exprList(y, v, k));
      return true;
    case "tags":
      n.tags = uniq([...n.tags, ...tagList(y, v)]);
      return true;
    case "vars":
      n.vars = { ...n.vars, ...varsMap(y, v, "vars") };
      return true;
    case "become":
      n.become = boolValue(y, v, k);
      return true;
    case "become_user":
      n.becomeUser = becomeUserValue(y, v);
      return true;
    case "become_method":
      becomeMethod(y, v);
      return true;
    case "ignore_errors":
      n.ignoreErrors = boolValue(y, v, k);
      return true;
    case "no_log":
      n.noLog = boolValue(y, v, k);
      return true;
    case "check_mode":
      n.checkMode = boolValue(y, v, k);
      return true;
    default:
      return false;
  }
}
