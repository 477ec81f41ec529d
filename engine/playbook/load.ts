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
//
// The walk: tasklist.ts reads lists of tasks and blocks, task.ts one task, include.ts task-file
// includes, roles.ts roles; settings.ts is the one table of inherited keywords; readers.ts the
// small YAML readers.
import { dirname, join, resolve, isAbsolute, relative } from "node:path";
import { existsSync } from "node:fs";
import { InputError, didYouMean, type SourcePos } from "../core/errors.js";
import { isMap, isSeq, isScalar, type YamlFile, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import type { Plan, Play, Task, TaskNode } from "../core/plan.js";
import type { Registry } from "../core/registry.js";
import { hasTemplate } from "../template/index.js";
import { PLAY_KEYWORDS } from "./keywords.js";
import { applySetting, settingsFrom } from "./settings.js";
import type { Cursor, PlayCtx, Scope } from "./context.js";
import {
  keyOf,
  pairOf,
  unknownKeyword,
  stringValue,
  stringList,
  boolValue,
  hostsValue,
  serialValue,
  percentValue,
  gatherSubsetValue,
  gatherTimeoutValue,
  tagList,
  varsMap,
  readYaml,
  offsetOf,
  uniq,
  addTags,
} from "./readers.js";
import { taskList } from "./tasklist.js";
import { ErrorCollector } from "./errors.js";
import { roleEntry, sharePlayRoleVars } from "./roles.js";

export { readYaml } from "./readers.js";

export class Loader {
  private playCount = 0;
  private readonly errors = new ErrorCollector();
  constructor(
    private readonly registry: Registry,
    /** ansible.cfg's gathering: `explicit` gathers facts only in plays that say `gather_facts: true`. */
    private readonly gathering: "implicit" | "explicit" | "smart" = "implicit",
  ) {}

  load(file: string): Plan {
    const abs = resolve(file);
    let plays: Play[] = [];
    this.errors.guard(() => {
      plays = this.playbook(file, [], undefined);
    });
    const err = this.errors.error();
    if (err) throw err;
    return { file: abs, dir: dirname(abs), plays };
  }

  // -------------------------------------------------------------------------------------------
  // Playbooks and plays

  private playbook(file: string, stack: string[], from: SourcePos | undefined): Play[] {
    const y = readYaml(file, from);
    const root = y.root;
    if (!root || (isScalar(root) && (root.value === null || root.value === ""))) {
      throw new InputError(
        "the playbook is empty",
        { file, line: 1, col: 1 },
        "a playbook is a list of plays, each starting with `- hosts: …` followed by `tasks:`",
        y.lines[0] ?? "",
      );
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
      this.errors.guard(() => {
        if (imp) plays.push(...this.importPlaybook(y, item, imp, [...stack, abs]));
        else plays.push(this.play(y, item));
      });
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
    if (hasTemplate(target))
      throw y.error("import_playbook takes a file name, not a template", imp.value as Node, "playbooks are imported when keel loads, before variables exist");
    const file = join(dirname(y.file), target);
    const abs = resolve(file);
    if (stack.includes(abs)) {
      const base = dirname(stack[0] ?? abs);
      throw y.error(
        `import cycle: ${[...stack.slice(stack.indexOf(abs)), abs].map((f) => relative(base, f) || f).join(" -> ")}`,
        imp.value as Node,
        "remove one of the import_playbook entries",
      );
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
    const play: Play = {
      id,
      name: "",
      hosts: "",
      pos,
      vars: {},
      varsFiles: {},
      gatherFacts: this.gathering !== "explicit",
      strategy: "free",
      tasks: [],
      handlers: [],
      tags: [],
    };
    const sections: Partial<Record<"pre_tasks" | "tasks" | "post_tasks" | "handlers" | "roles", Pair>> = {};
    let hostsSeen = false;
    let collections: string[] = [];
    // Settings (vars, tags, become…) come from the same keyword table as tasks and blocks.
    const settings = settingsFrom();
    for (const p of node.items as Pair[])
      this.errors.guard(() => {
        const k = keyOf(y, p);
        const v = p.value as Node;
        if (applySetting(settings, y, k, v, "play")) return;
        switch (k) {
          case "name":
            play.name = stringValue(y, v, "name");
            break;
          case "hosts":
            play.hosts = hostsValue(y, v);
            hostsSeen = true;
            break;
          case "vars_files":
            play.varsFiles = this.varsFiles(y, v, playbookDir);
            break;
          case "collections":
            collections = stringList(y, v, k).map(([c]) => c);
            break;
          case "gather_facts":
            play.gatherFacts = boolValue(y, v, k);
            break;
          case "gather_subset":
            play.gatherSubset = gatherSubsetValue(y, v);
            break;
          case "gather_timeout":
            play.gatherTimeout = gatherTimeoutValue(y, v);
            break;
          case "serial":
            play.serial = serialValue(y, v);
            break;
          case "max_fail_percentage":
            play.maxFailPercentage = percentValue(y, v, k);
            break;
          case "strategy": {
            const s = stringValue(y, v, k);
            if (s !== "free" && s !== "linear") {
              const sug = didYouMean(s, ["free", "linear"]);
              throw y.error(
                `strategy must be 'free' or 'linear', got '${s}'${sug ? `, did you mean '${sug}'?` : ""}`,
                v,
                "free: each host at its own pace (default); linear: all hosts in lockstep",
              );
            }
            play.strategy = s;
            break;
          }
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
      });
    play.vars = settings.vars;
    play.tags = settings.tags;
    play.become = settings.become;
    play.becomeUser = settings.becomeUser;
    play.checkMode = settings.checkMode;
    if (settings.placement) play.placement = settings.placement;
    if (!hostsSeen) throw y.error("this play has no 'hosts:'", node, "add `hosts: all` (or a group or pattern) to say where the play runs");
    if (!play.name) play.name = play.hosts;

    const ctx: PlayCtx = {
      registry: this.registry,
      play,
      playbookDir,
      rolesDone: new Set(),
      roleHandlers: [],
      notifies: [],
      playRoles: [],
      collections,
      privateRoles: 0,
      errors: this.errors,
    };
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
    const main: Cursor = { y, scope, ctx, out: play.tasks, prefix: id, kind: "t" };
    const list = (name: "pre_tasks" | "tasks" | "post_tasks") => {
      const p = sections[name];
      if (p) taskList(main, p.value as Node, name);
    };
    list("pre_tasks");
    if (sections.roles) {
      const rolesNode = sections.roles.value as Node;
      if (rolesNode && !(isScalar(rolesNode) && rolesNode.value === null)) {
        if (!isSeq(rolesNode))
          throw y.error("roles: must be a list of role names or mappings", rolesNode, "roles:\n  - common\n  - { role: web, vars: { port: 80 } }");
        for (const entry of rolesNode.items as Node[]) this.errors.guard(() => roleEntry(main, entry));
      }
    }
    list("tasks");
    list("post_tasks");
    const handlers: TaskNode[] = [];
    if (sections.handlers) taskList({ ...main, scope: { ...scope, inHandlers: true }, out: handlers, kind: "h" }, sections.handlers.value as Node, "handlers");
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
          throw y.error(
            `vars_files entry '${name}' is a template; keel loads vars_files before any host is known`,
            a,
            "use a literal file name, or put per-host values in host_vars/ and group_vars/",
          );
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
      ctx.errors.guard(() => {
        throw n.file.error(
          `notify '${n.name}': no handler has this name or listens to it${sug ? `, did you mean '${sug}'?` : ""}`,
          n.file.lines.length ? offsetOf(n.file, n.pos) : null,
          names.size ? `handlers of this play: ${[...names].join(", ")}` : "this play has no handlers; add them under handlers:",
        );
      });
    }
  }
}
