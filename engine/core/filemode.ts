// File modes as Ansible's file arguments take them: octal or chmod's symbolic form, resolved
// against the current mode (engine/core/filestate.ts re-exports these for the file modules).
import { InputError } from "./errors.js";

/** A desired mode: an absolute octal one, or a chmod symbolic expression (resolved against the current mode). */
export type ModeSpec = { octal: number } | { symbolic: string };

const SYMBOLIC = /^([ugoa]*([-+=]([rwxXst]*|[ugo]))+)(,([ugoa]*([-+=]([rwxXst]*|[ugo]))+))*$/;

/**
 * Parse a mode argument. Numbers are read by their decimal digits as octal (YAML 1.2 reads `0644`
 * as 644, which Ansible users mean as 0644); strings may be "0644", "644", "02775", "0o644" or symbolic.
 */
export function parseMode(mode: string | number): ModeSpec {
  if (typeof mode === "number") {
    const digits = String(mode);
    if (!Number.isInteger(mode) || mode < 0 || !/^[0-7]{1,4}$/.test(digits)) {
      throw new InputError(`invalid mode ${mode}`, undefined, 'write modes as octal digits in quotes, e.g. mode: "0644"');
    }
    return { octal: parseInt(digits, 8) };
  }
  const s = mode.trim();
  // leading zeros past four digits are Ansible's too (int("02775", 8)): geerlingguy.postgresql's
  // socket directory mode is "02775"
  const m = /^(?:0o)?0*([0-7]{1,4})$/i.exec(s);
  if (m) return { octal: parseInt(m[1]!, 8) };
  if (SYMBOLIC.test(s)) return { symbolic: s };
  throw new InputError(`invalid mode '${mode}'`, undefined, 'use octal ("0644") or chmod symbolic form ("u=rw,g=r,o=r")');
}

const CLASS_SHIFT: Record<"u" | "g" | "o", number> = { u: 6, g: 3, o: 0 };

/** Apply a chmod symbolic expression to `cur` (POSIX chmod semantics, umask ignored). */
export function applySymbolic(spec: string, cur: number, isDir: boolean): number {
  let mode = cur & 0o7777;
  for (const clause of spec.split(",")) {
    const wm = /^([ugoa]*)(.*)$/.exec(clause)!;
    let who = wm[1]!.replace(/a/g, "ugo");
    if (who === "") who = "ugo";
    const classes = [...new Set(who.split(""))] as ("u" | "g" | "o")[];
    const ops = wm[2]!.match(/[-+=][rwxXstugo]*/g) ?? [];
    for (const op of ops) {
      const kind = op[0]!;
      const perms = op.slice(1);
      let bits = 0;
      for (const c of classes) {
        let rwx = 0;
        let special = 0;
        for (const p of perms) {
          if (p === "r") rwx |= 4;
          else if (p === "w") rwx |= 2;
          else if (p === "x") rwx |= 1;
          else if (p === "X") {
            if (isDir || (mode & 0o111) !== 0) rwx |= 1;
          } else if (p === "s") {
            if (c === "u") special |= 0o4000;
            if (c === "g") special |= 0o2000;
          } else if (p === "t") {
            if (c === "o") special |= 0o1000;
          } else if (p === "u" || p === "g" || p === "o") {
            rwx |= (mode >> CLASS_SHIFT[p]) & 7;
          }
        }
        bits |= (rwx << CLASS_SHIFT[c]) | special;
      }
      if (kind === "+") mode |= bits;
      else if (kind === "-") mode &= ~bits;
      else {
        let clear = 0;
        for (const c of classes) clear |= (7 << CLASS_SHIFT[c]) | (c === "u" ? 0o4000 : c === "g" ? 0o2000 : 0o1000);
        // chmod keeps a directory's setuid/setgid bits under `=` unless they are named.
        if (isDir) clear &= ~0o6000;
        mode = (mode & ~clear) | bits;
      }
    }
  }
  return mode;
}

/** The mode a path should end up with; `cur` undefined means "to be created" (umask 022 default). */
export function targetMode(spec: ModeSpec, cur: number | undefined, isDir: boolean): number {
  if ("octal" in spec) return spec.octal;
  return applySymbolic(spec.symbolic, cur ?? (isDir ? 0o755 : 0o644), isDir);
}
