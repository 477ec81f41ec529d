// The I/O half of inventory loading: finds sources, reads files, runs inventory scripts and
// reads group_vars/ and host_vars/. Parsing and merging are pure and live in the other files.
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, openSync, readSync, closeSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { decryptVaultFile } from "../vault/keyring.js";
import { registerSecret, registerSecretName } from "../core/secrets.js";
import { InputError, type SourcePos } from "../core/errors.js";
import { isMap, isScalar, YamlFile } from "../core/yaml.js";
import { chargeLoad } from "../core/limits.js";
import { parseIni } from "./ini.js";
import { InventoryData, setVar, type VarLayer } from "./model.js";
import { parseAddress } from "./ranges.js";
import { applyHostvars, applyScriptOutput, parseScriptJson } from "./script.js";
import { parseYamlInventory } from "./yaml-inventory.js";
import { entries11, toJs11 } from "./yaml11.js";

const YAML_EXTS = [".yml", ".yaml", ".json"];
/** Files Ansible skips in an inventory directory (IGNORED_ALWAYS + INVENTORY_IGNORE_EXTS). */
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;
const SCRIPT_TIMEOUT_MS = 60_000;

export async function loadSources(sources: string[], cwd: string): Promise<InventoryData> {
  const data = new InventoryData();
  const resolved: string[] = [];
  for (const src of sources) {
    const path = resolve(cwd, src);
    if (!existsSync(path)) {
      if (src.includes(",")) {
        parseHostList(src, data);
        continue;
      }
      throw new InputError(
        `inventory source ${src} does not exist`,
        undefined,
        `looked for ${path}; give a file, a directory, or a comma-separated host list such as 'web1,web2,'`,
      );
    }
    resolved.push(path);
    await parseSource(path, data);
  }
  data.reconcile();
  for (const path of resolved) loadVarsDirs(data, statSync(path).isDirectory() ? path : dirname(path));
  return data;
}

/** `-i 'web1,web2:2222,'`: Ansible's host_list source. */
function parseHostList(src: string, data: InventoryData): void {
  for (const raw of src.split(",")) {
    const h = raw.trim();
    if (!h) continue;
    const a = parseAddress(h, false);
    data.addHost(a ? a.host : h, "ungrouped", a?.port);
  }
}

async function parseSource(path: string, data: InventoryData): Promise<void> {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (IGNORED.test(name)) continue;
      await parseSource(join(path, name), data);
    }
    return;
  }
  if (isScript(path)) {
    await runScript(path, data);
    return;
  }
  const text = readText(path);
  const ext = extname(path).toLowerCase();
  if (YAML_EXTS.includes(ext)) {
    parseYamlInventory(vaultedInventory(YamlFile.parse(text, path)), data);
    return;
  }
  if (ext !== "") {
    parseIni(iniText(text, path), path, data);
    return;
  }
  // no extension: Ansible tries YAML, then INI
  let yaml: YamlFile | undefined;
  let yamlError: unknown;
  try {
    yaml = YamlFile.parse(text, path);
  } catch (e) {
    yamlError = e;
  }
  if (yaml && (yaml.root === undefined || isMap(yaml.root))) {
    parseYamlInventory(vaultedInventory(yaml), data);
    return;
  }
  try {
    parseIni(iniText(text, path), path, data);
  } catch (e) {
    throw yamlError && looksLikeYaml(text) ? yamlError : e;
  }
}

/**
 * An INI inventory encrypted with ansible-vault: its plaintext, each `key=value` value registered as
 * a secret. (YAML ones are decrypted by YamlFile.parse.)
 */
function iniText(text: string, path: string): string {
  if (!text.startsWith("$ANSIBLE_VAULT")) return text;
  const plain = decryptVaultFile(text, path);
  for (const m of plain.matchAll(/([^\s=]+)=\s*("[^"]*"|'[^']*'|[^\s#;]+)/g)) {
    registerSecretName(m[1]!);
    registerSecret(m[2]!.replace(/^(["'])(.*)\1$/, "$2"));
  }
  return plain;
}

/**
 * A YAML inventory encrypted with ansible-vault: everything in it is secret, as in an INI one: each
 * string is a secret and each key a vaulted name (a host's or group's variables are its keys).
 */
function vaultedInventory(yf: YamlFile): YamlFile {
  if (!yf.vaulted) return yf;
  const walk = (v: unknown): void => {
    if (typeof v === "string") registerSecret(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) {
        registerSecretName(k);
        walk(x);
      }
  };
  walk(yf.js(yf.root));
  return yf;
}

function looksLikeYaml(text: string): boolean {
  const first = text.split("\n").find((l) => l.trim() && !/^\s*[#;]/.test(l)) ?? "";
  return /^---|^[^\s[=]+:(\s|$)/.test(first.trim());
}

function readText(path: string): string {
  let text: string;
  try {
    // the size is bounded before reading (engine/core/limits.ts)
    chargeLoad(path, statSync(path).size);
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read inventory ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  // a UTF-8 byte order mark is not content (Ansible accepts it)
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** An inventory script starts with `#!` (or is an executable binary); Ansible runs it with --list. */
function isScript(path: string): boolean {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(4);
  let n = 0;
  try {
    n = readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 2 && head[0] === 0x23 && head[1] === 0x21) return true;
  if (n === 4 && head.toString("latin1") === "\x7fELF") {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  return false;
}

function run(path: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; error?: Error }> {
  return new Promise((res) => {
    execFile(path, args, { timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      res({ code, stdout, stderr, error: err ?? undefined });
    });
  });
}

async function runScript(path: string, data: InventoryData): Promise<void> {
  const pos: SourcePos = { file: path, line: 1, col: 1 };
  const r = await run(path, ["--list"]);
  if (r.code !== 0) {
    const why = r.stderr.trim() || r.error?.message || `exit code ${r.code}`;
    const errno = (r.error as NodeJS.ErrnoException | undefined)?.code;
    throw new InputError(
      `inventory script failed (${typeof errno === "string" ? errno : `exit code ${r.code}`}): ${why.split("\n").slice(-3).join(" | ")}`,
      pos,
      errno === "EACCES" ? `make it executable: chmod +x ${path}` : `run it yourself to see the problem: ${path} --list`,
      firstLine(path),
    );
  }
  const result = applyScriptOutput(data, parseScriptJson(r.stdout, path), path);
  if (result.hostvars) return;
  // no _meta.hostvars: ask for each host (older scripts)
  const hostvars: Record<string, unknown> = {};
  for (const h of result.hosts) {
    const hr = await run(path, ["--host", h]);
    if (hr.code !== 0) {
      throw new InputError(
        `inventory script failed for --host ${h} (exit code ${hr.code}): ${hr.stderr.trim()}`,
        pos,
        `print "_meta": {"hostvars": {...}} from --list to avoid one call per host`,
      );
    }
    hostvars[h] = hr.stdout.trim() === "" ? {} : parseScriptJson(hr.stdout, `${path} --host ${h}`);
  }
  applyHostvars(data, result.hosts, hostvars, path);
}

function firstLine(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").split("\n")[0];
  } catch {
    return undefined;
  }
}

/** group_vars/<group> and host_vars/<host> beside a source, as Ansible's host_group_vars plugin finds them. */
function loadVarsDirs(data: InventoryData, basedir: string): void {
  for (const [sub, entities] of [
    ["group_vars", [...data.groups.values()]],
    ["host_vars", [...data.hosts.values()]],
  ] as const) {
    let dir: string;
    try {
      dir = realpathSync(join(basedir, sub));
    } catch {
      continue;
    }
    if (!statSync(dir).isDirectory()) continue;
    for (const e of entities) {
      if (e.name.startsWith("/")) continue;
      for (const file of findVarsFiles(dir, e.name)) {
        const layer = loadVarsFile(file);
        if (layer) for (const [k, v] of Object.entries(layer.vars)) setVar(e.files, k, v, layer.pos.get(k));
      }
    }
  }
}

/** Ansible's find_vars_files: NAME (file or folder) first, else NAME.yml, NAME.yaml, NAME.json. */
export function findVarsFiles(dir: string, name: string): string[] {
  for (const ext of ["", ...YAML_EXTS]) {
    const p = join(dir, name + ext);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    return st.isDirectory() ? dirVarsFiles(p) : [p];
  }
  return [];
}

function dirVarsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".") || name.endsWith("~")) continue;
    const full = join(dir, name);
    const ext = pyExt(name);
    const st = statSync(full);
    if (st.isDirectory() && !ext) out.push(...dirVarsFiles(full));
    else if (st.isFile() && (!ext || YAML_EXTS.includes(ext))) out.push(full);
  }
  return out;
}

/** os.path.splitext: leading dots do not start an extension. */
function pyExt(name: string): string {
  const base = basename(name);
  const i = base.lastIndexOf(".");
  if (i <= 0 || /^\.+$/.test(base.slice(0, i + 1))) return "";
  return base.slice(i);
}

function loadVarsFile(file: string): VarLayer | undefined {
  // an ansible-vault file is decrypted by YamlFile.parse with the run's vault passwords
  const yf = YamlFile.parse(readText(file), file);
  const root = yf.root;
  if (root === undefined || (isScalar(root) && toJs11(root, yf.doc) === null)) return undefined;
  if (!isMap(root)) {
    throw yf.error(`a variables file must be a mapping of names to values`, root, "write one `name: value` per line");
  }
  const layer: VarLayer = { vars: {}, pos: new Map() };
  for (const e of entries11(root, yf.doc)) setVar(layer, e.key, e.value, yf.pos(e.at));
  return layer;
}
