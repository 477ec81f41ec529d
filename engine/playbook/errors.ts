// All the load errors of a playbook at once: the loader collects each task's (and keyword's)
// error and goes on, up to a limit, then reports them together, sorted by file and line.
import { InputError } from "../core/errors.js";

/** Errors kept before the loader stops reading (the rest would mostly repeat them). */
export const MAX_LOAD_ERRORS = 50;

/** Several load errors. `message`, `pos` and `hint` are the first one's; format() shows them all. */
export class LoadErrors extends InputError {
  constructor(
    readonly errors: readonly InputError[],
    readonly truncated: boolean,
  ) {
    super(
      `${errors[0]!.message} (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""}${truncated ? `; stopped after ${MAX_LOAD_ERRORS}` : ""})`,
      errors[0]!.pos,
      errors[0]!.hint,
      errors[0]!.sourceLine,
    );
  }

  override format(relativeTo?: string): string {
    const all = this.errors.map((e) => e.format(relativeTo)).join("\n\n");
    return `${all}\n\n${this.errors.length} errors${this.truncated ? ` (stopped after ${MAX_LOAD_ERRORS})` : ""}; nothing was run`;
  }
}

/** Collects InputErrors; `add` returns false once the limit is reached. */
export class ErrorCollector {
  readonly errors: InputError[] = [];
  private full = false;

  add(e: InputError): boolean {
    if (this.errors.length >= MAX_LOAD_ERRORS) {
      this.full = true;
      return false;
    }
    this.errors.push(e);
    return true;
  }

  /** Run `f`; an InputError it throws is collected (re-thrown past the limit). */
  guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof InputError) || !this.add(e)) throw e instanceof InputError ? this.error()! : e;
    }
  }

  /** The error to throw: undefined when there is none, the error itself when there is one. */
  error(): InputError | undefined {
    if (this.errors.length === 0) return undefined;
    const sorted = [...this.errors].sort(
      (a, b) => (a.pos?.file ?? "").localeCompare(b.pos?.file ?? "") || (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0),
    );
    return sorted.length === 1 ? sorted[0] : new LoadErrors(sorted, this.full);
  }
}
