// The drift report formats, by name, and `--out [format:]file` parsing.
import { parseOutSpec } from "../../report/outspec.js";
import type { DriftReport } from "../../report/drift/model.js";
import { renderText } from "../../report/drift/text.js";
import { renderMarkdown } from "../../report/drift/markdown.js";
import { renderJunit } from "../../report/drift/junit.js";
import { renderHtml } from "../../report/drift/html.js";
import { renderGithub } from "../../report/drift/github.js";
import { termSafeDeep } from "../../report/termsafe.js";

export const FORMATS = ["text", "json", "junit", "html", "markdown", "github"] as const;
export type Format = (typeof FORMATS)[number];

export function renderReport(r: DriftReport, f: Format, o: { color: boolean; details: boolean; width: number }): string {
  switch (f) {
    // text formats are read on a terminal (and `cat` of a saved file): what hosts sent is escaped
    case "text":
      return renderText(termSafeDeep(r), o);
    case "json":
      return JSON.stringify(r, null, 2) + "\n";
    case "junit":
      return renderJunit(r);
    case "html":
      return renderHtml(r);
    case "markdown":
      return renderMarkdown(termSafeDeep(r));
    case "github":
      return renderGithub(termSafeDeep(r));
  }
}

/** "junit:out.xml" or "out.xml" (format from the extension). */
export function parseOut(spec: string): { format: Format; file: string } {
  return parseOutSpec(spec, FORMATS, "--out", "junit");
}
