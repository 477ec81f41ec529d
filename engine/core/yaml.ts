// YAML with positions. js-yaml cannot give the position of every node, so keel uses the `yaml`
// package: its Document API keeps each node's source range, which becomes file:line:col in errors.
// Right after parsing, aliases are replaced by copies of their anchored nodes and `<<` merge keys
// are flattened (yaml-expand.ts), so every consumer walks a plain tree and never meets an Alias.
import { readFileSync, statSync } from "node:fs";
import { parseDocument, LineCounter, isMap, isSeq, isScalar, isPair, visit, type Document, type Node, type YAMLMap, type Pair } from "yaml";
import { InputError, UndefinedVariableError, type SourcePos } from "./errors.js";
import { chargeLoad, limitHint, limitOf, LIMITS } from "./limits.js";
import { expandDocument, ExpandError } from "./yaml-expand.js";
import { registerSecretName } from "./secrets.js";
import { decryptVaultFile, decryptVaultValue, vaultSecrets, NO_PASSWORD_HINT } from "../vault/keyring.js";

export { isMap, isSeq, isScalar, isPair };
export type { Node, YAMLMap, Pair };

export class YamlFile {
  readonly lines: string[];
  private constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    private readonly lc: LineCounter,
    /** Decrypted from an ansible-vault file: errors never quote its lines (they are secret). */
    readonly vaulted = false,
  ) {
    this.lines = text.split(/\r?\n/);
  }

  /** Parse text; a syntax error becomes an InputError at its line and column. */
  static parse(text: string, file: string): YamlFile {
    // a UTF-8 byte order mark is not content (PyYAML skips it too)
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    // An ansible-vault file is ciphertext: read as YAML it would be one string, written to hosts.
    // It is decrypted with the run's vault passwords (a load error without one), and every string
    // in it becomes a secret, masked in all output.
    let vaulted = false;
    if (text.startsWith("$ANSIBLE_VAULT")) {
      text = decryptVaultFile(text, file);
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      vaulted = true;
    }
    const lc = new LineCounter();
    let doc: Document.Parsed;
    try {
      doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });
    } catch (e) {
      // the yaml package recurses once per nesting level: thousands of `[` exhaust the stack
      if (!isStackOverflow(e)) throw e;
      const at = deepestLine(text);
      throw new InputError(`YAML nesting too deep to parse`, { file, line: at + 1, col: 1 }, limitHint(LIMITS.yamlDepth), text.split(/\r?\n/)[at]);
    }
    const f = new YamlFile(file, text, doc, lc, vaulted);
    const err = doc.errors[0];
    if (err) {
      const off = err.pos?.[0] ?? 0;
      const msg = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw f.error(`YAML syntax error: ${msg}`, off, yamlHint(err.code));
    }
    try {
      expandDocument(doc, { maxAliasNodes: limitOf(LIMITS.aliasNodes), maxDepth: limitOf(LIMITS.yamlDepth) });
    } catch (e) {
      if (e instanceof ExpandError) throw f.error(e.message, e.at, e.hint);
      if (isStackOverflow(e)) throw f.error("YAML nesting too deep to expand", 0, limitHint(LIMITS.yamlDepth));
      throw e;
    }
    if (text.includes("!vault")) decryptInline(f);
    // a vaulted vars file: each of its variables holds a secret (engine/core/secrets.ts)
    if (vaulted && isMap(f.root)) for (const p of f.root.items) if (isScalar(p.key)) registerSecretName(String(p.key.value));
    return f;
  }

  /** Read and parse a file; a missing file is an InputError naming it. */
  static load(file: string, from?: SourcePos): YamlFile {
    let text: string;
    try {
      // the size is checked before reading: a huge file must not be read into memory at all
      chargeLoad(file, statSync(file).size);
      text = readFileSync(file, "utf8");
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, from);
    }
    return YamlFile.parse(text, file);
  }

  /** Root node (undefined for an empty document). */
  get root(): Node | undefined {
    return (this.doc.contents ?? undefined) as Node | undefined;
  }

  /** Position of a node (its first character), or of an offset. */
  pos(at: Node | Pair | number | undefined | null): SourcePos {
    let off = 0;
    if (typeof at === "number") off = at;
    else if (at && isPair(at)) off = (at.key as Node | undefined)?.range?.[0] ?? 0;
    else if (at && (at as Node).range) off = (at as Node).range![0];
    const lp = this.lc.linePos(off);
    return { file: this.file, line: lp.line, col: lp.col };
  }

  /** An InputError pointing at a node, with the source line attached. */
  error(message: string, at: Node | Pair | number | undefined | null, hint?: string): InputError {
    const p = this.pos(at);
    return new InputError(this.vaulted ? `${message} (in the decrypted content)` : message, p, hint, this.vaulted ? undefined : (this.lines[p.line - 1] ?? ""));
  }

  /** The node's plain JS value. */
  js(node: Node | undefined | null): unknown {
    if (node === undefined || node === null) return null;
    return (node as Node & { toJSON(): unknown }).toJSON?.() ?? null;
  }
}

/** An InputError for a position when the YAML text is at hand (attaches the source line). */
export function errorAt(pos: SourcePos, message: string, hint?: string, lines?: string[]): InputError {
  let line = lines?.[pos.line - 1];
  if (line === undefined) {
    try {
      line = readFileSync(pos.file, "utf8").split(/\r?\n/)[pos.line - 1];
    } catch {
      line = undefined;
    }
  }
  return new InputError(message, pos, hint, line);
}

/** errorAt for an undefined variable: the error carries the variable's name (UndefinedVariableError). */
export function undefinedAt(pos: SourcePos, varName: string, message: string, hint?: string): UndefinedVariableError {
  const e = errorAt(pos, message, hint);
  return new UndefinedVariableError(varName, message, pos, hint, e.sourceLine);
}

/**
 * Inline `!vault |` values: ciphertext that must never be used as text (issue 10 #8). With the run's
 * vault passwords each becomes its plaintext (a string, as in Ansible), registered as a secret;
 * without one, the load stops here.
 */
function decryptInline(f: YamlFile): void {
  visit(f.doc, {
    Node(_, n, path) {
      const node = n as Node;
      if (node.tag !== "!vault") return;
      // the variable holding it, wherever it is nested (`users: [{password: !vault …}]`): every key
      // on its way is a name whose value carries the secret
      for (const a of path) if (isPair(a) && isScalar(a.key)) registerSecretName(String(a.key.value));
      if (!isScalar(node) || typeof node.value !== "string")
        throw f.error("a !vault value must be the vaulted text (a block scalar)", node, "write it as ansible-vault encrypt_string prints it");
      if (vaultSecrets().length === 0) throw f.error("vaulted value (!vault) but no vault password", node, NO_PASSWORD_HINT);
      const p = f.pos(node);
      node.value = decryptVaultValue(node.value, p, f.vaulted ? undefined : f.lines[p.line - 1]);
      node.tag = undefined;
    },
  });
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof Error && /Maximum call stack size exceeded|too much recursion/.test(e.message);
}

/** The 0-based line where brackets or indentation first nest deepest: where to point a too-deep error. */
function deepestLine(text: string): number {
  let depth = 0;
  let best = 0;
  let bestLine = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const indent = l.length - l.trimStart().length;
    for (const ch of l) {
      if (ch === "[" || ch === "{") depth++;
      else if (ch === "]" || ch === "}") depth--;
    }
    const d = Math.max(depth, indent);
    if (d > best) {
      best = d;
      bestLine = i;
    }
  }
  return bestLine;
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation and that every [ or { is closed";
    case "DUPLICATE_KEY":
      return "a key appears twice in the same mapping; remove one";
    case "TAB_AS_INDENT":
      return "YAML indentation must use spaces, not tabs";
    case "BLOCK_AS_IMPLICIT_KEY":
    case "MULTILINE_IMPLICIT_KEY":
      return "a ':' may be missing after a key, or a value needs quotes";
    default:
      return undefined;
  }
}
