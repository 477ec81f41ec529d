// Escaping for the Markdown reports (drift, audit, patch: CI step summaries, merge-request notes).
// Task names, host names, resources, values and errors come from playbooks and from hosts: none of
// them may turn into HTML, a link, emphasis, a code span, a heading or a broken table. One set of
// helpers for every Markdown renderer, by context:
//   mdText  - Markdown text: a table cell, a list item, a blockquote line
//   mdHtml  - text inside a raw HTML block (<details><summary>…</summary>): Markdown is not read there
//   mdCode  - a `code span` (inside a table too)
//   mdFence - the fence of a code block that holds `text`

import { escHtml } from "./htmlesc.js";

/** Newlines (any style) become one space: a table row and a list item are one line. */
const oneLine = (s: string) => s.replace(/\r\n|\r|\n/g, " ");

/**
 * Markdown text: &, < and > as entities (no HTML: a task named "<img onerror=…>" stays text), the
 * inline syntax backslash-escaped anywhere (\ ` * [ ] | ~ and _ unless inside a word, as in
 * kernel.randomize_va_space: code spans, emphasis, links and images, table cells, strikethrough), and
 * what starts a heading or a list at the start (# - + 1.).
 */
export function mdText(s: unknown): string {
  return oneLine(String(s))
    .replace(/[\\`*[\]|~]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, "\\$&")
    .replace(/^(\s*)([#+-])/, "$1\\$2")
    .replace(/^(\s*\d+)([.)])/, "$1\\$2")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** Text inside a raw HTML block, where Markdown is not interpreted: HTML escaping only, one line. */
export function mdHtml(s: unknown): string {
  return escHtml(oneLine(String(s)));
}

/**
 * A code span holding `s` verbatim: delimited by one backtick more than the longest run inside it
 * (padded with a space when it starts or ends with a backtick), | escaped for GFM tables (the table
 * is split before code spans are read, and `\|` there is a literal |).
 */
export function mdCode(s: unknown): string {
  const t = oneLine(String(s)).replace(/\|/g, "\\|");
  const fence = "`".repeat(longestRun(t, "`") + 1);
  const pad = t.startsWith("`") || t.endsWith("`") ? " " : "";
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** A code block's fence: at least three backticks, and more than any run of them in `text`. */
export function mdFence(text: string): string {
  return "`".repeat(Math.max(3, longestRun(text, "`") + 1));
}

function longestRun(s: string, ch: string): number {
  let best = 0;
  let n = 0;
  for (const c of s) {
    n = c === ch ? n + 1 : 0;
    if (n > best) best = n;
  }
  return best;
}
