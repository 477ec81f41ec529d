// The drift report formats, by name, and `--out [format:]file` parsing.
import { extname } from "node:path";
import { InputError } from "../../core/errors.js";
import type { DriftReport } from "../../report/drift/model.js";
import { renderText } from "../../report/drift/text.js";
import { renderMarkdown } from "../../report/drift/markdown.js";
import { renderJunit } from "../../report/drift/junit.js";
import { renderHtml } from "../../report/drift/html.js";
import { renderGithub } from "../../report/drift/github.js";

export const FORMATS = ["text", "json", "junit", "html", "markdown", "github"] as const;
export type Format = (typeof FORMATS)[number];

const BY_EXT: Record<string, Format> = { ".json": "json", ".xml": "junit", ".html": "html", ".htm": "html", ".md": "markdown", ".txt": "text" };

export function renderReport(r: DriftReport, f: Format, o: { color: boolean; details: boolean; width: number }): string {
  switch (f) {
    case "text":
      return renderText(r, o);
    case "json":
      return JSON.stringify(r, null, 2) + "\n";
    case "junit":
      return renderJunit(r);
    case "html":
      return renderHtml(r);
    case "markdown":
      return renderMarkdown(r);
    case "github":
      return renderGithub(r);
  }
}

/** "junit:out.xml" or "out.xml" (format from the extension). */
export function parseOut(spec: string): { format: Format; file: string } {
  const m = /^([a-z]+):(.+)$/.exec(spec);
  if (m && (FORMATS as readonly string[]).includes(m[1]!)) return { format: m[1] as Format, file: m[2]! };
  const f = BY_EXT[extname(spec).toLowerCase()];
  if (!f)
    throw new InputError(
      `cannot tell the format of --out '${spec}'`,
      undefined,
      `prefix it with a format (${FORMATS.join(", ")}), e.g. junit:${spec}, or use .json .xml .html .md .txt`,
    );
  return { format: f, file: spec };
}
