// The state the loader carries while it walks a play: the inherited scope, the play-wide context,
// and a cursor that says where new tasks go.
import type { SourcePos } from "../core/errors.js";
import type { YamlFile } from "../core/yaml.js";
import type { Play, Task, TaskNode, RoleRef } from "../core/plan.js";
import type { Registry } from "../core/registry.js";
import type { Settings } from "./settings.js";
import type { ErrorCollector } from "./errors.js";

/** Inherited settings while walking tasks. */
export interface Scope extends Settings {
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
  /** Inside a dynamic include whose own `when` guards it: a task keel cannot run fails only if it runs (tasklist.ts). */
  guarded?: boolean;
  /** In handlers: the names of the include_tasks handlers being spliced; their tasks listen to them. */
  handlerListen?: string[];
}

export interface PlayCtx {
  registry: Registry;
  /** Load errors collected so far (the loader reports them all at once). */
  errors: ErrorCollector;
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
  /** The play's `collections:` (ns.coll), searched for short role names. */
  collections: string[];
  /** > 0 while an include_role is applied: its variables stay private, as in Ansible. */
  privateRoles: number;
}

/**
 * Where the walk is: the file being read, the inherited scope, the play context, and the list that
 * receives new tasks with the id prefix and kind letter of their ids ("p0" + "t" -> "p0.t3").
 */
export interface Cursor {
  y: YamlFile;
  scope: Scope;
  ctx: PlayCtx;
  out: TaskNode[];
  prefix: string;
  kind: string;
}

/** The id of the next node appended at the cursor. */
export function nextId(c: Cursor): string {
  return `${c.prefix}.${c.kind}${c.out.length}`;
}

/**
 * The settings a task or block takes from the scope it is read in (its own keywords then override
 * them), with the given `vars`, in the key order of a Task. One list, so that a task, a block and a
 * deferred task inherit the same things.
 */
export function inherited(
  scope: Scope,
  vars: Record<string, unknown>,
): Pick<Task, "tags" | "vars" | "become" | "becomeUser" | "ignoreErrors" | "ignoreErrorsExpr" | "noLog" | "checkMode" | "placement" | "role" | "searchDirs"> {
  return {
    tags: [...scope.tags],
    vars,
    become: scope.become,
    becomeUser: scope.becomeUser,
    ignoreErrors: scope.ignoreErrors ?? false,
    ...(scope.ignoreErrorsExpr ? { ignoreErrorsExpr: scope.ignoreErrorsExpr } : {}),
    noLog: scope.noLog ?? false,
    checkMode: scope.checkMode,
    ...(scope.placement ? { placement: scope.placement } : {}),
    role: scope.role,
    searchDirs: scope.searchDirs,
  };
}
