// One HTML escaper for every HTML report: the five characters that can open a tag or leave a quoted
// attribute, and a hostile host name or error in the patch report stays text.
import { describe, it, expect } from "vitest";
import { escHtml } from "../../../engine/report/htmlesc.js";
import { mdHtml } from "../../../engine/report/mdtext.js";
import { buildPatchReport } from "../../../engine/report/patch/model.js";
import { renderPatchHtml } from "../../../engine/report/patch/html.js";

describe("escHtml", () => {
  it("turns & < > \" ' into entities and leaves the rest", () => {
    expect(escHtml(`a&b<c>d"e'f ü`)).toBe("a&amp;b&lt;c&gt;d&quot;e&#39;f ü");
    expect(escHtml(42)).toBe("42");
  });
  it("is what mdHtml uses, on one line", () => {
    expect(mdHtml("<b>\nx'")).toBe("&lt;b&gt; x&#39;");
  });
  it("keeps a hostile host name and error as text in the patch HTML", () => {
    const host = `<img src=x onerror="alert(1)">`;
    const r = buildPatchReport([{ host, error: `refused <script>alert('x')</script>`, failure: "refused", durationMs: 1, roundTrips: 0 }], {
      inventory: ["hosts.yml"],
      failOn: "security",
      durationMs: 1,
      generatedAt: "2026-12-04T00:00:00.000Z",
    });
    const html = renderPatchHtml(r);
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});
