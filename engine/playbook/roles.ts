// Roles: `roles:` entries of a play, import_role/include_role tasks and meta/main.yml dependencies.
// A role's tasks are spliced in place; its handlers join the play's; its defaults and vars follow
// Ansible's precedence (see sharePlayRoleVars).
import { dirname, join, resolve, isAbsolute } from "node:path";
import { existsSync, readdirSync, statSync } from "node:fs";
import { didYouMean, InputError } from "../core/errors.js";
import { deferrable } from "./task.js";
import { packageRoot } from "../core/paths.js";
import { isMap, isSeq, isScalar, type YamlFile, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import type { Task, TaskNode, RoleRef } from "../core/plan.js";
import { hasTemplate } from "../template/index.js";
import { INCLUDE_KEYWORDS, ROLE_ENTRY_KEYWORDS, UNSUPPORTED } from "./keywords.js";
import { applySetting } from "./settings.js";
import type { Cursor, PlayCtx, Scope } from "./context.js";
import { VAR_NAME, keyOf, pairOf, unknownKeyword, stringValue, boolValue, varsMap, checkTemplates, readYaml, uniq } from "./readers.js";
import { taskList } from "./tasklist.js";
import { entryScope } from "./include.js";
import { loopPairOf, loopedInclude } from "./looped.js";

export const ROLE_TASK_KEYS = ["import_role", "include_role"];

/** include_role/import_role's tasks_from, vars_from, defaults_from and handlers_from. */
interface RoleFrom {
  tasks?: { file: string; node: Node; y: YamlFile };
  vars?: { file: string; node: Node; y: YamlFile };
  defaults?: { file: string; node: Node; y: YamlFile };
  handlers?: { file: string; node: Node; y: YamlFile };
}

/** How a role is applied at a cursor. */
interface RoleUse {
  /** The node naming the role (errors point at it). */
  at: Node;
  name: string;
  /** Role parameters (other keys of a roles: entry; include_role's vars:): above vars/main.yml. */
  params?: Record<string, unknown>;
  /** The `vars:` of a roles: entry: as in Ansible they rank below the role's vars/main.yml. */
  entryVars?: Record<string, unknown>;
  from?: RoleFrom;
}

/** An import_role/include_role task (`key`) at the cursor. */
export function roleTask(c: Cursor, node: YAMLMap, key: string): void {
  if (c.scope.inHandlers) throw c.y.error(`${key} is not supported in handlers`, pairOf(node, key)!.key as Node);
  if (!key.endsWith("include_role")) return roleTaskBody(c, node, key);
  c.ctx.privateRoles++;
  try {
    return roleTaskBody(c, node, key);
  } finally {
    c.ctx.privateRoles--;
  }
}

function roleTaskBody(c: Cursor, node: YAMLMap, key: string): void {
  const { y } = c;
  const v = pairOf(node, key)!.value as Node;
  let nameNode: Node | undefined;
  let roleVars: Record<string, unknown> = {};
  let apply: Node | undefined;
  const from: RoleFrom = {};
  if (isMap(v)) {
    for (const p of v.items as Pair[]) {
      const k = keyOf(y, p);
      if (k === "name") nameNode = p.value as Node;
      else if (k === "apply" && key.endsWith("include_role")) apply = p.value as Node;
      else if (k === "vars") roleVars = varsMap(y, p.value as Node, "vars");
      else if (k === "tasks_from" || k === "vars_from" || k === "defaults_from" || k === "handlers_from") {
        const file = stringValue(y, p.value as Node, k);
        if (hasTemplate(file))
          throw y.error(`${k} takes a file name, not a template ('${file}')`, p.value as Node, "roles are resolved when the playbook loads");
        from[k.slice(0, -5) as keyof RoleFrom] = { file, node: p.value as Node, y };
      } else throw unknownKeyword(y, p, k, ["name", "vars", "tasks_from", "vars_from", "defaults_from", "handlers_from", "apply"], `${key} argument`);
    }
  } else nameNode = v;
  if (!nameNode) throw y.error(`${key}: needs a role name`, v, `write \`${key}: { name: myrole }\``);
  const name = stringValue(y, nameNode, "name");
  // include_role is resolved when it runs in Ansible: a missing role fails only the hosts that get there
  if (key.endsWith("include_role")) {
    try {
      findRole(y, nameNode, name, c.scope, c.ctx);
    } catch (e) {
      throw e instanceof InputError ? deferrable(e) : e;
    }
  }
  if (loopPairOf(c, node)) {
    // a looped include_role: the role is read once here; each host runs its tasks per item (looped.ts)
    const inner = loopedInclude(c, node, key, name, [], apply);
    return applyRole(inner, { at: nameNode, name, params: roleVars, from });
  }
  const scope = entryScope(y, node, c.scope, [key], INCLUDE_KEYWORDS, key);
  if (apply && isMap(apply))
    for (const p of apply.items as Pair[])
      if (!applySetting(scope, y, keyOf(y, p), p.value as Node, "include"))
        throw unknownKeyword(y, p, keyOf(y, p), Object.keys(INCLUDE_KEYWORDS), "keyword of apply");
  applyRole({ ...c, scope }, { at: nameNode, name, params: roleVars, from });
}

/** An entry of a play's `roles:` (or of a role's dependencies) at the cursor. */
export function roleEntry(c: Cursor, entry: Node): void {
  const { y } = c;
  if (isScalar(entry)) return applyRole(c, { at: entry, name: stringValue(y, entry, "role") });
  if (!isMap(entry)) throw y.error("a role entry is a name or a mapping with role:", entry, "roles:\n  - common\n  - { role: web, vars: { port: 80 } }");
  let nameNode: Node | undefined;
  const params: Record<string, unknown> = {};
  const entryVars: Record<string, unknown> = {};
  const s: Scope = { ...c.scope, when: [...c.scope.when], tags: [...c.scope.tags], vars: { ...c.scope.vars } };
  for (const p of entry.items as Pair[]) {
    const k = keyOf(y, p);
    const v = p.value as Node;
    if (applySetting(s, y, k, v, "role")) continue;
    switch (k) {
      case "role":
      case "name":
        if (nameNode) throw y.error("give the role's name once (role: or name:)", p.key as Node);
        nameNode = v;
        break;
      case "vars":
        Object.assign(entryVars, varsMap(y, v, "vars"));
        break;
      default: {
        if (Object.hasOwn(UNSUPPORTED, k)) throw y.error(`'${k}' is not supported by keel`, p.key as Node, UNSUPPORTED[k]);
        const kw = didYouMean(k, Object.keys(ROLE_ENTRY_KEYWORDS));
        if (kw && kw !== k)
          throw y.error(
            `unknown role keyword '${k}', did you mean '${kw}'?`,
            p.key as Node,
            "other keys are role parameters; put them under vars: to be explicit",
          );
        // Ansible's role parameters: any other key is a variable for the role.
        if (!VAR_NAME.test(k)) throw y.error(`'${k}' is not a valid variable name for a role parameter`, p.key as Node);
        checkTemplates(y, v);
        params[k] = y.js(v);
      }
    }
  }
  if (!nameNode) throw y.error("this role entry has no name", entry, "write `- role: name` or `- name`");
  applyRole({ ...c, scope: s }, { at: nameNode, name: stringValue(y, nameNode, "role"), params, entryVars });
}

const FQCN_ROLE = /^([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)$/;

/** Folders that hold `ansible_collections/`, in Ansible's order: next to the playbook, then ANSIBLE_COLLECTIONS_PATH(S), then the defaults. */
export function collectionRoots(playbookDir: string): string[] {
  const env = process.env.ANSIBLE_COLLECTIONS_PATH ?? process.env.ANSIBLE_COLLECTIONS_PATHS;
  const home = process.env.HOME ?? "";
  return uniq([
    join(playbookDir, "collections"),
    ...(env ? env.split(":").filter(Boolean) : [join(home, ".ansible/collections"), "/usr/share/ansible/collections"]),
  ]);
}

/** The collection (`ns.coll`) a role folder belongs to, when it is inside ansible_collections/ns/coll/roles/. */
function collectionOf(dir: string): string | undefined {
  const m = /\/ansible_collections\/([^/]+)\/([^/]+)\/roles\/[^/]+\/?$/.exec(dir);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

function findRole(y: YamlFile, at: Node, name: string, scope: Scope, ctx: PlayCtx): string {
  if (hasTemplate(name)) throw y.error(`role name '${name}' is a template; roles are resolved when the playbook loads`, at);
  const looked: string[] = [];
  const isDir = (d: string) => existsSync(d) && statSync(d).isDirectory();
  const fq = FQCN_ROLE.exec(name);
  if (fq && !name.includes("/")) {
    for (const r of collectionRoots(ctx.playbookDir)) {
      const d = join(r, "ansible_collections", fq[1]!, fq[2]!, "roles", fq[3]!);
      looked.push(d);
      if (isDir(d)) return d;
    }
    // `roles/ns.coll.role` or a Galaxy role named with dots (geerlingguy.nginx) is also a plain folder name
  }
  if (name.includes("/")) {
    const d = isAbsolute(name) ? name : join(ctx.playbookDir, name);
    if (isDir(d)) return d;
    throw y.error(`role not found: ${name}`, at, `looked in: ${d}`);
  }
  const rolesPath = (process.env.ANSIBLE_ROLES_PATH ?? "").split(":").filter(Boolean);
  const roots = uniq([
    join(ctx.playbookDir, "roles"),
    ...(scope.role ? [dirname(scope.role.dir)] : []),
    ctx.playbookDir,
    ...rolesPath,
    join(packageRoot(), "roles"),
  ]);
  for (const r of roots) {
    const d = join(r, name);
    looked.push(d);
    if (isDir(d)) return d;
  }
  // a short name inside the play's `collections:` or the calling role's own collection
  const colls = uniq([...(scope.role ? [collectionOf(scope.role.dir)] : []), ...ctx.collections].filter((x): x is string => !!x));
  for (const coll of colls) {
    const [ns, cn] = coll.split(".");
    for (const r of collectionRoots(ctx.playbookDir)) {
      const d = join(r, "ansible_collections", ns!, cn!, "roles", name);
      looked.push(d);
      if (isDir(d)) return d;
    }
  }
  const existing = uniq(
    roots.flatMap((r) => {
      try {
        return readdirSync(r, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name);
      } catch {
        return [];
      }
    }),
  );
  const sug = didYouMean(name, existing);
  throw y.error(`role '${name}' not found${sug ? `, did you mean '${sug}'?` : ""}`, at, `looked in: ${looked.join(", ")}`);
}

/** Apply a role at the cursor: its dependencies, then its tasks; its handlers join the play's. */
function applyRole(c: Cursor, use: RoleUse): void {
  const { y, scope, ctx } = c;
  const { at, name, params = {}, entryVars = {}, from = {} } = use;
  const dir = findRole(y, at, name, scope, ctx);
  const roleName = name.includes("/")
    ? name.replace(/\/+$/, "").split("/").pop()!
    : FQCN_ROLE.exec(name) && dir.includes("/ansible_collections/")
      ? name.split(".").pop()!
      : name;
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

  const key = `${absDir}|${JSON.stringify({ ...entryVars, ...params })}|${Object.values(from)
    .map((f) => f.file)
    .join(",")}`;
  if (ctx.rolesDone.has(key) && !allowDuplicates) return;
  ctx.rolesDone.add(key);

  const stack = [...scope.roleStack, absDir];
  for (const d of deps) roleEntry({ ...c, y: meta!, scope: { ...scope, roleStack: stack } }, d);

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
  if (tasksFile?.root) taskList({ ...c, y: tasksFile, scope: roleScope }, tasksFile.root, "tasks");
  const handlersFile = load("handlers");
  if (handlersFile?.root) {
    const hs: TaskNode[] = [];
    const hScope: Scope = { ...roleScope, inHandlers: true, when: [], tags: [], includeStack: [resolve(handlersFile.file)] };
    taskList({ y: handlersFile, scope: hScope, ctx, out: hs, prefix: "role", kind: "h" }, handlersFile.root, "handlers");
    ctx.roleHandlers.push(...(hs as Task[]));
  }
}

/**
 * As in Ansible (private_role_vars off), the defaults and vars of the play's roles are visible to
 * the whole play: a role's tasks see every play role's defaults under their own, and the roles'
 * vars join the play's vars after vars_files. (include_role keeps its variables to itself.)
 */
export function sharePlayRoleVars(ctx: PlayCtx): void {
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
