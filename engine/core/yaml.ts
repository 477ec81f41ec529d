// YAML with positions. js-yaml cannot give the position of every node, so keel uses the `yaml`
// package: its Document API keeps each node's source range, which becomes file:line:col in errors.
import { readFileSync } from "node:fs";
import { parseDocument, LineCounter, isMap, isSeq, isScalar, isPair, type Document, type Node, type YAMLMap, type Pair } from "yaml";
import { InputError, UndefinedVariableError, type SourcePos } from "./errors.js";

export { isMap, isSeq, isScalar, isPair };
export type { Node, YAMLMap, Pair };

export class YamlFile {
  readonly lines: string[];
  private constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    private readonly lc: LineCounter,
  ) {
    this.lines = text.split(/\r?\n/);
  }

  /** Parse text; a syntax error becomes an InputError at its line and column. */
  static parse(text: string, file: string): YamlFile {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });
    const f = new YamlFile(file, text, doc, lc);
    const err = doc.errors[0];
    if (err) {
      const off = err.pos?.[0] ?? 0;
      const msg = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw f.error(`YAML syntax error: ${msg}`, off, yamlHint(err.code));
    }
    return f;
  }

  /** Read and parse a file; a missing file is an InputError naming it. */
  static load(file: string, from?: SourcePos): YamlFile {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
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
    return new InputError(message, p, hint, this.lines[p.line - 1] ?? "");
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
