// The hardening catalog (DESIGN.md, "Controls"): one definition is both the check and the fix.
//
//   roles/hardening/catalog.yml          name, version, sources, areas (report order)
//   roles/hardening/controls/<area>.yml  the controls of one area: title, rationale, severity,
//                                        references, params, applies_when, automated|manual
//   roles/hardening/profiles/<name>.yml  selections of controls plus parameter values (profile.ts)
//   roles/hardening/tasks/*.yml          the role's tasks; each carries its control's id as a tag
//                                        and is gated on `'<id>' in hardening_controls` (tasks.ts)
//   roles/hardening/defaults/main.yml    every parameter (hardening_*) with its default
//
// Loading reads files only (never a host) and validates everything before returning: the schema
// (schemas/controls.schema.json), ids against their area, params against the role's defaults,
// applies_when expressions, and the tasks against the controls. Errors are InputErrors at
// file:line:col with a hint. `keel run` and `keel audit` both start here.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError, type SourcePos } from "../core/errors.js";
import type { Expr } from "../core/plan.js";
import { YamlFile, isMap, isPair, isScalar, type Node } from "../core/yaml.js";
import { packagePath } from "../core/paths.js";
import { checkExpr, isTrue } from "../template/index.js";
import { keyPair, validateDoc } from "./validate.js";
import { indexTasks, type TaskRef } from "./tasks.js";

export { resolveProfile, shippedProfiles, type ResolvedProfile, type ProfileSource } from "./profile.js";
export { controlsSchema } from "./validate.js";
export type { TaskRef } from "./tasks.js";

export type Severity = "none" | "low" | "medium" | "high" | "critical";

/** The variable the role's tasks are gated on: the ids of the selected, applicable controls. */
export const GATE_VAR = "hardening_controls";

/** InSpec's impact bands: [lowest, highest] impact for each severity, and the default impact. */
export const SEVERITY_BANDS: Record<Severity, { min: number; max: number; impact: number }> = {
  none: { min: 0, max: 0, impact: 0 },
  low: { min: 0.01, max: 0.39, impact: 0.3 },
  medium: { min: 0.4, max: 0.69, impact: 0.5 },
  high: { min: 0.7, max: 0.89, impact: 0.7 },
  critical: { min: 0.9, max: 1, impact: 0.9 },
};

export interface References {
  cis: string[];
  devsec: string[];
  nist: string[];
}

export interface Control {
  id: string;
  area: string;
  title: string;
  rationale: string;
  severity: Severity;
  /** 0.0–1.0, as InSpec's impact. */
  impact: number;
  references: References;
  /** Role variables (hardening_*) the control's tasks read. */
  params: string[];
  /** When the control applies; undefined means everywhere. */
  appliesWhen?: Expr;
  type: "automated" | "manual";
  /** Manual controls: the procedure a person follows. */
  procedure?: string;
  /** Where the control is defined (its id key in controls/<area>.yml), for SARIF and errors. */
  pos: SourcePos;
  /** The role's tasks tagged with this control's id (none for manual controls). */
  tasks: TaskRef[];
}

export interface Param {
  name: string;
  default: unknown;
  pos: SourcePos;
  /** The values it may take (catalog.yml param_values), when restricted. */
  values?: unknown[];
}

export interface Catalog {
  name: string;
  version: number;
  title: string;
  /** The catalog folder (roles/hardening), which is also the role's folder. */
  dir: string;
  sources: Record<string, string>;
  areas: { name: string; title: string }[];
  /** Every control by id. */
  controls: Map<string, Control>;
  /** Control ids in report order (areas in catalog.yml order, then file order). */
  ids: string[];
  params: Map<string, Param>;
  /** Names of the profiles in profiles/. */
  profiles: string[];
}

/** The catalog that ships with keel. */
export function defaultCatalogDir(): string {
  return packagePath("roles/hardening");
}

/** Load and validate a catalog folder (default: keel's roles/hardening). */
export function loadCatalog(dir: string = defaultCatalogDir()): Catalog {
  const root = resolve(dir);
  const file = join(root, "catalog.yml");
  if (!existsSync(file))
    throw new InputError(`no catalog.yml in ${root}`, undefined, "a catalog folder holds catalog.yml, controls/, profiles/ and the role (tasks/, defaults/)");
  const y = YamlFile.load(file);
  const head = validateDoc(y, "catalog", "catalog.yml") as {
    catalog: string;
    version: number;
    title?: string;
    sources?: Record<string, string>;
    areas: Record<string, string>;
    param_values?: Record<string, unknown[]>;
  };
  if (head.version !== 1)
    throw y.error(`catalog format version ${head.version} is not supported (this keel reads version 1)`, keyPair(y.root, "version")?.value as Node);
  const cat: Catalog = {
    name: head.catalog,
    version: head.version,
    title: head.title ?? head.catalog,
    dir: root,
    sources: head.sources ?? {},
    areas: Object.entries(head.areas).map(([name, title]) => ({ name, title })),
    controls: new Map(),
    ids: [],
    params: loadParams(root),
    profiles: [],
  };
  for (const [name, values] of Object.entries(head.param_values ?? {})) {
    const p = cat.params.get(name);
    const at = keyPair(keyPair(y.root, "param_values")?.value as Node, name) as Node | undefined;
    if (!p) throw y.error(`param_values names '${name}', which is not a parameter of defaults/main.yml`, at);
    if (!values.includes(p.default)) throw y.error(`the default of '${name}' (${JSON.stringify(p.default)}) is not among its param_values`, at);
    p.values = values;
  }
  const areaNames = new Set(cat.areas.map((a) => a.name));
  const areasNode = keyPair(y.root, "areas")?.value as Node;
  for (const area of cat.areas) {
    const cf = join(root, "controls", `${area.name}.yml`);
    if (!existsSync(cf))
      throw y.error(
        `area '${area.name}' has no file controls/${area.name}.yml`,
        keyPair(areasNode, area.name) ?? areasNode,
        "create it with a `controls:` mapping, or remove the area",
      );
    loadArea(cat, YamlFile.load(cf), area.name);
  }
  const cdir = join(root, "controls");
  for (const f of existsSync(cdir) ? readdirSync(cdir).sort() : []) {
    const area = f.replace(/\.ya?ml$/, "");
    if (f !== area && !areaNames.has(area)) {
      throw y.error(`controls/${f} is not listed under areas:`, keyPair(y.root, "areas"), `add \`${area}: <title>\` under areas:, or remove the file`);
    }
  }
  const tasksDir = join(root, "tasks");
  if (existsSync(tasksDir)) {
    const byControl = indexTasks(tasksDir, cat.controls, GATE_VAR);
    for (const [id, tasks] of byControl) cat.controls.get(id)!.tasks = tasks;
  }
  for (const c of cat.controls.values()) {
    if (c.type === "automated" && c.tasks.length === 0) {
      throw new InputError(
        `automated control ${c.id} has no task tagged '${c.id}' in ${tasksDir}`,
        c.pos,
        `add its tasks (tags: [${c.id}], when: "'${c.id}' in ${GATE_VAR}"), or make it type: manual with a procedure`,
      );
    }
    if (c.type === "manual" && c.tasks.length) {
      throw new InputError(
        `manual control ${c.id} has tasks (${c.tasks[0]!.pos.file}:${c.tasks[0]!.pos.line}); a manual control is a procedure`,
        c.pos,
        "make it type: automated, or remove its tasks",
      );
    }
  }
  const pdir = join(root, "profiles");
  cat.profiles = existsSync(pdir)
    ? readdirSync(pdir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => f.replace(/\.ya?ml$/, ""))
        .sort()
    : [];
  return cat;
}

function loadParams(root: string): Map<string, Param> {
  const out = new Map<string, Param>();
  const file = join(root, "defaults", "main.yml");
  if (!existsSync(file)) return out;
  const y = YamlFile.load(file);
  if (!y.root) return out;
  if (!isMap(y.root)) throw y.error("defaults/main.yml must be a mapping of variables", y.root);
  for (const p of y.root.items) {
    if (!isPair(p) || !isScalar(p.key)) continue;
    const name = String(p.key.value);
    if (!name.startsWith("hardening_"))
      throw y.error(
        `role variable '${name}' must start with hardening_`,
        p,
        "catalog parameters share one prefix so profiles and -e can name them unambiguously",
      );
    out.set(name, { name, default: y.js(p.value as Node), pos: y.pos(p) });
  }
  return out;
}

function loadArea(cat: Catalog, y: YamlFile, area: string): void {
  const doc = validateDoc(y, "controls", `controls/${area}.yml`) as { controls: Record<string, RawControl> };
  const map = keyPair(y.root, "controls")?.value as Node;
  for (const [id, raw] of Object.entries(doc.controls)) {
    const pair = keyPair(map, id)!;
    const node = pair.value as Node;
    if (!id.startsWith(`${area}.`))
      throw y.error(
        `control '${id}' is in controls/${area}.yml but its id does not start with '${area}.'`,
        pair,
        `rename it ${area}.${id.split(".")[1]}, or move it to controls/${id.split(".")[0]}.yml`,
      );
    if (cat.controls.has(id)) throw y.error(`control '${id}' is defined twice`, pair);
    const band = SEVERITY_BANDS[raw.severity];
    const impact = raw.impact ?? band.impact;
    if (impact < band.min || impact > band.max) {
      throw y.error(
        `impact ${impact} does not match severity ${raw.severity} (${band.min}–${band.max})`,
        keyPair(node, "impact")!.value as Node,
        "InSpec bands: none 0, low 0.01–0.39, medium 0.4–0.69, high 0.7–0.89, critical 0.9–1.0",
      );
    }
    for (const [i, name] of (raw.params ?? []).entries()) {
      if (!cat.params.has(name)) {
        const at = (keyPair(node, "params")!.value as { items: Node[] }).items[i];
        throw y.error(
          `control ${id} reads parameter '${name}', which defaults/main.yml does not define`,
          at,
          "every parameter has a default in the role's defaults/main.yml",
        );
      }
    }
    let appliesWhen: Expr | undefined;
    if (raw.applies_when !== undefined) {
      appliesWhen = { text: raw.applies_when, pos: y.pos(keyPair(node, "applies_when")!.value as Node) };
      checkExpr(appliesWhen);
    }
    if (raw.type === "automated" && raw.procedure !== undefined)
      throw y.error(
        `automated control ${id} has a procedure`,
        keyPair(node, "procedure"),
        "only manual controls have a procedure; set type: manual or remove it",
      );
    cat.controls.set(id, {
      id,
      area,
      title: raw.title,
      rationale: raw.rationale.trim(),
      severity: raw.severity,
      impact,
      references: { cis: raw.references.cis ?? [], devsec: raw.references.devsec ?? [], nist: raw.references.nist ?? [] },
      params: raw.params ?? [],
      appliesWhen,
      type: raw.type,
      procedure: raw.procedure?.trim(),
      pos: y.pos(pair),
      tasks: [],
    });
    cat.ids.push(id);
  }
}

interface RawControl {
  title: string;
  rationale: string;
  severity: Severity;
  impact?: number;
  references: Partial<References>;
  params?: string[];
  applies_when?: string;
  type: "automated" | "manual";
  procedure?: string;
}

/** The control a task belongs to: the one tag of `tags` that is a control id of the catalog. */
export function controlForTask(catalog: Catalog, tags: readonly string[]): string | undefined {
  return tags.find((t) => catalog.controls.has(t));
}

/**
 * Whether a control applies to a host, from its applies_when over the host's variables (facts
 * under `facts.*` and `ansible_*`, as in `when:`). The reason names the expression when it does not.
 */
export function applies(control: Control, vars: Record<string, unknown>): { applies: boolean; reason: string } {
  if (!control.appliesWhen) return { applies: true, reason: "applies to every host" };
  const ok = isTrue(control.appliesWhen, vars);
  return { applies: ok, reason: `applies_when \`${control.appliesWhen.text}\` is ${ok ? "true" : "false"}` };
}
