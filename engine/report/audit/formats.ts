// The audit report formats by name, and `-o [format:]file` parsing (as drift's, plus SARIF).
import { parseOutSpec } from "../outspec.js";
import type { AuditReport } from "./model.js";
import { renderAuditText } from "./text.js";
import { renderAuditMarkdown } from "./markdown.js";
import { renderAuditJunit } from "./junit.js";
import { renderAuditSarif } from "./sarif.js";
import { renderAuditHtml, type HtmlOptions } from "./html.js";
import { termSafeDeep } from "../termsafe.js";

export const AUDIT_FORMATS = ["text", "json", "junit", "sarif", "html", "markdown"] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

export function renderAudit(r: AuditReport, f: AuditFormat, o: { color: boolean; details: boolean; html?: HtmlOptions }): string {
  switch (f) {
    // text formats are read on a terminal (and `cat` of a saved file): what hosts sent is escaped
    case "text":
      return renderAuditText(termSafeDeep(r), o);
    case "json":
      return JSON.stringify(r, null, 2) + "\n";
    case "junit":
      return renderAuditJunit(r);
    case "sarif":
      return renderAuditSarif(r);
    case "html":
      return renderAuditHtml(r, o.html);
    case "markdown":
      return renderAuditMarkdown(termSafeDeep(r));
  }
}

/** "sarif:out.sarif", "junit:audit.xml" or "audit.html" (format from the extension). */
export function parseAuditOut(spec: string): { format: AuditFormat; file: string } {
  return parseOutSpec(spec, AUDIT_FORMATS, "-o", "sarif");
}
