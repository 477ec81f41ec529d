// The few named error classes of keel. Only engine/cli turns them into output and exit codes.

/** A place in a source file; line and col are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export abstract class KeelError extends Error {
  abstract readonly kind: string;
}

/**
 * Invalid input: a playbook, inventory, argument or CLI flag. Exit code 1.
 * `pos` points at the offending node; `hint` is a suggestion such as "did you mean 'apt'?".
 */
export class InputError extends KeelError {
  readonly kind = "input";
  constructor(
    message: string,
    readonly pos?: SourcePos,
    readonly hint?: string,
    /** The text of the offending line, shown under the message. Filled by the loader when known. */
    readonly sourceLine?: string,
  ) {
    super(message);
    this.name = "InputError";
  }

  /**
   * "file:line:col: message\n  | source line\n  | ^\nhint: ...". With `relativeTo`, a file below
   * that folder is shown relative to it, as the user most likely typed it.
   */
  format(relativeTo?: string): string {
    const file = this.pos ? shownPath(this.pos.file, relativeTo) : "";
    const where = this.pos ? `${file}:${this.pos.line}:${this.pos.col}: ` : "";
    let out = `${where}${this.message}`;
    if (this.pos && this.sourceLine !== undefined) {
      const gutter = String(this.pos.line);
      out += `\n ${gutter} | ${this.sourceLine}\n ${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, this.pos.col - 1))}^`;
    }
    if (this.hint) out += `\nhint: ${this.hint}`;
    return out;
  }
}

/**
 * An InputError about one argument of a module, thrown by a module's `validate`. The caller (the
 * loader, or the runner after rendering) places it at that argument's file:line:col.
 */
export class ArgError extends InputError {
  constructor(
    /** The top-level argument name ("line", "commands"). */
    readonly arg: string,
    message: string,
    hint?: string,
  ) {
    super(message, undefined, hint);
    this.name = "InputError";
  }
}

/**
 * An expression or template used a variable that does not exist. `varName` is the full path as
 * written (`ver.stdout`, `r['x']`), `root` its first segment (`ver`): callers decide on these
 * (is it a field of a registered result?) instead of reading the message text.
 */
export class UndefinedVariableError extends InputError {
  readonly root: string;
  constructor(
    readonly varName: string,
    message: string,
    pos?: SourcePos,
    hint?: string,
    sourceLine?: string,
  ) {
    super(message, pos, hint, sourceLine);
    this.name = "UndefinedVariableError";
    this.root = /^[^.[]+/.exec(varName)?.[0] ?? varName;
  }

  /** The missing variable is a field of `root` (`ver.stdout`), not `root` itself. */
  get isField(): boolean {
    return this.varName.length > this.root.length;
  }
}

export type ConnectionFailure = "auth" | "hostkey" | "timeout" | "lost" | "refused" | "dns" | "other";

/** The host could not be reached, or the connection broke. The host counts as unreachable. */
export class ConnectionError extends KeelError {
  readonly kind = "connection";
  constructor(
    message: string,
    readonly failure: ConnectionFailure,
    readonly host?: string,
  ) {
    super(message);
    this.name = "ConnectionError";
  }
}

/** A command on the host exited non-zero where success was required. */
export class CommandError extends KeelError {
  readonly kind = "command";
  constructor(
    readonly command: string,
    readonly rc: number,
    readonly stdout: string,
    readonly stderr: string,
    message?: string,
  ) {
    super(message ?? `command failed with exit code ${rc}: ${firstLine(stderr) || firstLine(stdout) || command}`);
    this.name = "CommandError";
  }
}

/** A module could not do what the task asked (bad state on the host, failed validation…). */
export class ModuleError extends KeelError {
  readonly kind = "module";
  constructor(message: string) {
    super(message);
    this.name = "ModuleError";
  }
}

/**
 * A module cannot act because directory `dir` does not exist. In check mode the runner turns it
 * into a predicted change when an earlier task of the run would create that directory.
 */
export class MissingDirError extends ModuleError {
  constructor(
    message: string,
    readonly dir: string,
  ) {
    super(message);
    this.name = "MissingDirError";
  }
}

/**
 * A probe's output does not follow the record format (engine/core/record.ts). The host printed
 * something the probe did not expect, so the task fails on that host; nothing was changed.
 */
export class ProbeParseError extends ModuleError {
  constructor(
    message: string,
    /** 1-based line of the probe output, when the error is about one line. */
    readonly line?: number,
  ) {
    super(message);
    this.name = "ProbeParseError";
  }
}

/** A bug in keel itself. */
export class InternalError extends KeelError {
  readonly kind = "internal";
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = "InternalError";
  }
}

function shownPath(file: string, base: string | undefined): string {
  if (!base || !file.startsWith("/")) return file;
  const prefix = base.endsWith("/") ? base : `${base}/`;
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}

function firstLine(s: string): string {
  return s.trim().split("\n")[0] ?? "";
}

/**
 * Closest candidate for "did you mean …" hints, or undefined when nothing is close (at most
 * max(1, len/3) edits). A swap of two neighbouring letters ("nmae" for "name") counts as one edit
 * (optimal string alignment distance). Case is ignored.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
