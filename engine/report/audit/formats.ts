// The audit report formats by name, and `-o [format:]file` parsing (as drift's, plus SARIF).
import { extname } from "node:path";
import { InputError } from "../../core/errors.js";
import type { AuditReport } from "./model.js";
import { renderAuditText } from "./text.js";
import { renderAuditMarkdown } from "./markdown.js";
import { renderAuditJunit } from "./junit.js";
import { renderAuditSarif } from "./sarif.js";
import { renderAuditHtml, type HtmlOptions } from "./html.js";

export const AUDIT_FORMATS = ["text", "json", "junit", "sarif", "html", "markdown"] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

const BY_EXT: Record<string, AuditFormat> = {
  ".json": "json",
  ".xml": "junit",
  ".sarif": "sarif",
  ".html": "html",
  ".htm": "html",
  ".md": "markdown",
  ".txt": "text",
};

export function renderAudit(r: AuditReport, f: AuditFormat, o: { color: boolean; details: boolean; html?: HtmlOptions }): string {
  switch (f) {
    case "text":
      return renderAuditText(r, o);
    case "json":
      return JSON.stringify(r, null, 2) + "\n";
    case "junit":
      return renderAuditJunit(r);
    case "sarif":
      return renderAuditSarif(r);
    case "html":
      return renderAuditHtml(r, o.html);
    case "markdown":
      return renderAuditMarkdown(r);
  }
}

/** "sarif:out.sarif", "junit:audit.xml" or "audit.html" (format from the extension). */
export function parseAuditOut(spec: string): { format: AuditFormat; file: string } {
  const m = /^([a-z]+):(.+)$/.exec(spec);
  if (m && (AUDIT_FORMATS as readonly string[]).includes(m[1]!)) return { format: m[1] as AuditFormat, file: m[2]! };
  const f = BY_EXT[extname(spec).toLowerCase()];
  if (!f)
    throw new InputError(
      `cannot tell the format of -o '${spec}'`,
      undefined,
      `prefix it with a format (${AUDIT_FORMATS.join(", ")}), e.g. sarif:${spec}, or use .json .xml .sarif .html .md .txt`,
    );
  return { format: f, file: spec };
}
