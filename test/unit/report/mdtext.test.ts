// Markdown escaping by context (issue 18): playbook and host data never becomes HTML, a code span,
// emphasis, a link, a heading, a list or an extra table cell, and code spans and diff fences hold
// any text verbatim.
import { describe, it, expect } from "vitest";
import { mdCode, mdFence, mdHtml, mdText } from "../../../engine/report/mdtext.js";

describe("mdText", () => {
  it.each([
    ["<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"],
    ["a | b", "a \\| b"],
    ["use `rm -rf /`", "use \\`rm -rf /\\`"],
    ["**bold** _em_ ~~gone~~", "\\*\\*bold\\*\\* \\_em\\_ \\~\\~gone\\~\\~"],
    ["[click](https://evil.example)", "\\[click\\](https://evil.example)"],
    ["![x](y)", "!\\[x\\](y)"],
    ["line one\nline two\r\nthree", "line one line two three"],
    ["# not a heading", "\\# not a heading"],
    ["- not a list", "\\- not a list"],
    ["1. not a list", "1\\. not a list"],
    ["C:\\path", "C:\\\\path"],
    ["AT&T &amp;", "AT&amp;T &amp;amp;"],
    // ordinary text stays readable: _ inside a word, dots, dashes and parentheses are not syntax there
    ["kernel.randomize_va_space (sysctl) a-b", "kernel.randomize_va_space (sysctl) a-b"],
    ["設定_ファイル 🚀", "設定_ファイル 🚀"],
  ])("%j → %j", (input, out) => {
    expect(mdText(input)).toBe(out);
  });
});

describe("mdHtml (inside <details><summary>, where Markdown is not read)", () => {
  it("HTML-escapes only, on one line", () => {
    expect(mdHtml(`<b>"x" & 'y'</b>\nz`)).toBe("&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt; z");
    expect(mdHtml("a_b *c* `d`")).toBe("a_b *c* `d`");
  });
});

describe("mdCode", () => {
  it.each([
    ["file /etc/a.conf", "`file /etc/a.conf`"],
    // a space on both sides when it starts or ends with a backtick (CommonMark strips one of each)
    ["echo `id`", "`` echo `id` ``"],
    ["`start", "`` `start ``"],
    ["a ``` b", "````a ``` b````"],
    ["x | y", "`x \\| y`"],
    ["two\nlines", "`two lines`"],
  ])("%j → %j", (input, out) => {
    expect(mdCode(input)).toBe(out);
  });
});

describe("mdFence", () => {
  it("is longer than any backtick run in the text, at least three", () => {
    expect(mdFence("+plain\n")).toBe("```");
    expect(mdFence("-```\n+````js\n")).toBe("`````");
  });
});
