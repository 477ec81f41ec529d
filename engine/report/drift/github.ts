// `--format github`: GitHub Actions workflow commands, so a nightly job annotates the playbook:
// one ::error per drifted task at its file and line (hosts and changes in the message), ::warning
// for tasks whose outcome cannot be predicted, ::notice for drift resolved since the comparison,
// ::error at the failed task's file and line for a failed host, and without a file for an unreachable
// one. A last plain line sums up.
// Paths are made relative to the baseline's repository (what GitHub matches annotations against).
import { isAbsolute, relative, resolve } from "node:path";
import type { DriftReport, OkItem } from "./model.js";

/** Escaping of GitHub's toolkit (command.ts): the message, and property values (also ':' and ','). */
const data = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const prop = (s: string) => data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

interface Group {
  task: string;
  file: string;
  line: number;
  lines: string[];
  hosts: Set<string>;
}

export function renderGithub(r: DriftReport): string {
  const file = (f: string) => repoPath(f, r.baseline?.repo);
  const out: string[] = [];
  const group = (kind: Map<string, Group>, it: OkItem, host: string, text: string) => {
    const key = `${it.file}:${it.line}`;
    const g = kind.get(key) ?? { task: it.task, file: it.file, line: it.line, lines: [], hosts: new Set<string>() };
    g.hosts.add(host);
    g.lines.push(text);
    kind.set(key, g);
  };
  const drift = new Map<string, Group>();
  const unknown = new Map<string, Group>();
  const resolved = new Map<string, Group>();
  for (const h of r.hosts) {
    if (h.status === "unreachable" || h.status === "failed") {
      // a failed task is annotated at its place; an unreachable host has none
      const at = h.failed_at ? `file=${prop(file(h.failed_at.file))},line=${h.failed_at.line},` : "";
      out.push(`::error ${at}title=${prop(`keel drift: ${h.host} ${h.status}`)}::${data(`${h.host}: ${h.error ?? h.status}`)}`);
    }
    for (const it of h.items) {
      const mark = it.compare === "new" ? " (new)" : it.compare === "persisting" ? ` (since ${it.since?.slice(0, 10) ?? "?"})` : "";
      group(drift, it, h.host, `${h.host}: ${it.resource}${it.item ? ` [${it.item}]` : ""}: ${it.summary}${mark}`);
    }
    for (const u of h.unknown) group(unknown, u, h.host, `${h.host}: ${u.resource}: ${u.reason}`);
    for (const it of h.resolved) group(resolved, it, h.host, `${h.host}: ${it.resource}: ${it.summary}`);
  }
  const emit = (cmd: string, kind: Map<string, Group>, what: string) => {
    for (const g of kind.values()) {
      const n = g.hosts.size;
      out.push(
        `::${cmd} file=${prop(file(g.file))},line=${g.line},title=${prop(`${what} on ${n} host${n === 1 ? "" : "s"}: ${g.task}`)}::${data(g.lines.join("\n"))}`,
      );
    }
  };
  emit("error", drift, "drift");
  emit("warning", unknown, "cannot predict");
  emit("notice", resolved, "drift resolved");
  const s = r.summary;
  out.push(
    `keel drift: ${s.hosts} hosts, ${s.in_sync} in sync, ${s.drifted} drifted, ${s.unreachable} unreachable, ${s.failed} failed; ${s.items} drifted items${s.resolved ? `, ${s.resolved} resolved` : ""}`,
  );
  return out.join("\n") + "\n";
}

/** The report's path (relative to where keel ran) relative to the repository root, when inside it. */
function repoPath(f: string, repo: string | undefined): string {
  if (!repo) return f;
  const rel = relative(repo, resolve(f));
  return rel.startsWith("..") || isAbsolute(rel) ? f : rel;
}
