// HTML escaping for every HTML report (drift, audit, patch) and for raw HTML blocks in Markdown.
// Text and attribute values alike: & < > " ' become entities, so a task, host or value taken from a
// playbook or a host can never open a tag or leave a quoted attribute.

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
