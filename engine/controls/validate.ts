// Schema validation of the catalog's YAML files (schemas/controls.schema.json) with ajv, turning
// ajv's first meaningful error into an InputError at the offending node's file:line:col.
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { didYouMean, InputError } from "../core/errors.js";
import { isMap, isPair, isScalar, isSeq, type Node, type Pair, type YamlFile } from "../core/yaml.js";
import { packagePath } from "../core/paths.js";

export type DocKind = "catalog" | "controls" | "profile";

const SCHEMA_ID = "https://keel.dev/schemas/controls.schema.json";
let compiled: Map<DocKind, ValidateFunction> | undefined;

/** The JSON Schema of the catalog files (also printed by `keel schema controls`). */
export function controlsSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(packagePath("schemas/controls.schema.json"), "utf8")) as Record<string, unknown>;
}

function validator(kind: DocKind): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
    ajv.addSchema(controlsSchema());
    compiled = new Map();
    for (const k of ["catalog", "controls", "profile"] as const) compiled.set(k, ajv.getSchema(`${SCHEMA_ID}#/definitions/${k}`)!);
  }
  return compiled.get(kind)!;
}

/** Validate a parsed file as one kind of catalog document; throws InputError at the bad node. */
export function validateDoc(y: YamlFile, kind: DocKind, what: string): Record<string, unknown> {
  const value = y.js(y.root);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw y.error(`${what} must be a mapping`, y.root ?? 0, `see \`keel schema controls\` for the format`);
  }
  const v = validator(kind);
  if (v(value)) return value as Record<string, unknown>;
  const errs = (v.errors ?? []).filter((e) => !/\/(anyOf|oneOf|if)\//.test(e.schemaPath) && e.keyword !== "if");
  errs.sort((a, b) => rank(a) - rank(b));
  const e = errs[0] ?? v.errors![0]!;
  throw describe(y, e, what);
}

function rank(e: ErrorObject): number {
  return e.keyword === "additionalProperties" ? 0 : e.keyword === "required" ? 1 : e.keyword === "propertyNames" ? 3 : 2;
}

function describe(y: YamlFile, e: ErrorObject, what: string): InputError {
  const path = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const node = nodeAt(y.root, path);
  const label = path.length ? `'${path.join(".")}'` : what;
  const hint = "see `keel schema controls` for the format of catalog, control and profile files";
  switch (e.keyword) {
    case "additionalProperties": {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      const at = keyPair(node, name) ?? node;
      const allowed = allowedKeys(e);
      const sug = didYouMean(name, allowed);
      return y.error(`unknown key '${name}' in ${label}${sug ? `, did you mean '${sug}'?` : ""}`, at, sug ? undefined : `allowed keys: ${allowed.join(", ")}`);
    }
    case "required":
      return y.error(`${label} needs '${(e.params as { missingProperty: string }).missingProperty}'`, node, hint);
    case "enum": {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const got = y.js(node as Node);
      const sug = typeof got === "string" ? didYouMean(got, allowed) : undefined;
      return y.error(`${label} must be one of ${allowed.join(", ")}; got ${JSON.stringify(got)}${sug ? `, did you mean '${sug}'?` : ""}`, node);
    }
    case "pattern":
      if (e.propertyName !== undefined) {
        return y.error(`'${e.propertyName}' is not a valid name here (${e.message})`, keyPair(node, e.propertyName) ?? node, describePattern(e.schemaPath));
      }
      return y.error(`${label} ${e.message}`, node, describePattern(e.schemaPath));
    default:
      return y.error(`${label} ${e.message ?? "is invalid"}`, node, hint);
  }
}

function describePattern(schemaPath: string): string {
  if (/controlId|propertyNames/.test(schemaPath))
    return "control ids are area.name in lowercase with dashes, e.g. ssh.permit-root-login; parameters start with hardening_";
  if (/paramName/.test(schemaPath)) return "parameters are role variables that start with hardening_";
  return "see `keel schema controls` for the format";
}

function allowedKeys(e: ErrorObject): string[] {
  const parent = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(parent?.properties ?? {});
}

/** The YAML node at a JSON pointer path (the deepest one that exists). */
export function nodeAt(root: Node | undefined, path: string[]): Node | undefined {
  let cur: Node | undefined = root;
  for (const seg of path) {
    if (isMap(cur)) {
      const p = keyPair(cur, seg);
      if (!p) return cur;
      cur = (p.value as Node | null) ?? (p.key as Node);
    } else if (isSeq(cur)) {
      const item = cur.items[Number(seg)] as Node | undefined;
      if (!item) return cur;
      cur = item;
    } else return cur;
  }
  return cur;
}

/** The pair of a mapping whose key is `name`. */
export function keyPair(node: Node | undefined, name: string): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === name) as Pair | undefined;
}
