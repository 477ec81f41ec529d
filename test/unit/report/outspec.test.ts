// One `--out [format:]file` parser for drift, report, patch report and audit (engine/report/outspec.ts):
// each command passes its formats, and the extension hint lists only the extensions of those.
import { describe, expect, it } from "vitest";
import { parseOutSpec } from "../../../engine/report/outspec.js";
import { parseOut } from "../../../engine/cli/commands/report-formats.js";
import { parseAuditOut } from "../../../engine/report/audit/formats.js";
import type { InputError } from "../../../engine/core/errors.js";

const PATCH = ["text", "json", "junit", "html", "markdown"] as const;

function refusal(f: () => unknown): { message: string; hint?: string } {
  try {
    f();
  } catch (e) {
    return { message: (e as InputError).message, hint: (e as InputError).hint };
  }
  throw new Error("not refused");
}

describe("--out [format:]file", () => {
  it("a named format wins over the extension; an unknown prefix is part of the file name", () => {
    expect(parseOut("junit:out.json")).toEqual({ format: "junit", file: "out.json" });
    expect(parseOut("github:-")).toEqual({ format: "github", file: "-" });
    expect(parseOut("foo:a.txt")).toEqual({ format: "text", file: "foo:a.txt" });
    expect(parseOut("REPORT.HTM")).toEqual({ format: "html", file: "REPORT.HTM" });
    expect(parseAuditOut("x.sarif")).toEqual({ format: "sarif", file: "x.sarif" });
  });

  it("an extension whose format the command lacks is refused, with the command's own extensions in the hint", () => {
    expect(refusal(() => parseOut("a.sarif"))).toEqual({
      message: "cannot tell the format of --out 'a.sarif'",
      hint: "prefix it with a format (text, json, junit, html, markdown, github), e.g. junit:a.sarif, or use .json .xml .html .md .txt",
    });
    expect(refusal(() => parseOutSpec("github:a", PATCH, "--out", "junit")).message).toBe("cannot tell the format of --out 'github:a'");
    expect(refusal(() => parseAuditOut("audit.pdf"))).toEqual({
      message: "cannot tell the format of -o 'audit.pdf'",
      hint: "prefix it with a format (text, json, junit, sarif, html, markdown), e.g. sarif:audit.pdf, or use .json .xml .sarif .html .md .txt",
    });
  });
});
