// `--out [format:]file` (drift, report, patch report) and `-o [format:]file` (audit): the format
// named before the colon, else the one the file's extension gives. One parser for every report
// command; each passes its own list of formats.
import { extname } from "node:path";
import { InputError } from "../core/errors.js";

/** Extension → format, for the formats a command has (.sarif only where SARIF is one). */
const BY_EXT: Readonly<Record<string, string>> = {
  ".json": "json",
  ".xml": "junit",
  ".sarif": "sarif",
  ".html": "html",
  ".htm": "html",
  ".md": "markdown",
  ".txt": "text",
};

/**
 * "junit:out.xml" or "out.xml" → { format, file }. `flag` names the option in the error ("--out"),
 * `example` is the format the hint prefixes ("junit").
 */
export function parseOutSpec<F extends string>(spec: string, formats: readonly F[], flag: string, example: F): { format: F; file: string } {
  const known = formats as readonly string[];
  const m = /^([a-z]+):(.+)$/.exec(spec);
  if (m && known.includes(m[1]!)) return { format: m[1] as F, file: m[2]! };
  const f = BY_EXT[extname(spec).toLowerCase()];
  if (f === undefined || !known.includes(f)) {
    const exts = Object.entries(BY_EXT)
      .filter(([e, x]) => known.includes(x) && e !== ".htm")
      .map(([e]) => e);
    throw new InputError(
      `cannot tell the format of ${flag} '${spec}'`,
      undefined,
      `prefix it with a format (${formats.join(", ")}), e.g. ${example}:${spec}, or use ${exts.join(" ")}`,
    );
  }
  return { format: f as F, file: spec };
}
