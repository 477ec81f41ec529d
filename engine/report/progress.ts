// Live output of `keel run`, from events only.
//
// Not a TTY: plain lines, one per task result (and per loop item), stable for logs and grep:
//   changed  lab01  Ensure motd  (files.copy file /etc/motd)
//   failed   lab02  Reload app  (system.command systemctl reload app)
//            site.yml:14: exit code 1: Job for app.service failed
// On a TTY: the same lines for what matters (changed, failed, unknown, unreachable) scroll above a
// live region that is redrawn in place, a few times a second at most: hosts done/total, counts,
// elapsed time, and the current task of each running host. Colors only when allowed (the CLI
// passes NO_COLOR/TTY as `color`).
import type { EventSink, KeelEvent, TaskRef, TaskResult } from "../core/events.js";
import { renderChanges } from "./diff.js";
import { termSafe, termSafeEvent } from "./termsafe.js";

export interface ProgressOptions {
  isTTY: boolean;
  color: boolean;
  /** --diff: print the changes of changed results (unified diff for files). */
  diff: boolean;
  write(text: string): void;
  now?: () => number;
  /**
   * TTY: the live region is redrawn at most this often, ms (default 250); lines printed meanwhile
   * scroll above it at once. 0: redraw on every event instead (tests).
   */
  tickMs?: number;
  /** Terminal width; live lines are cut to it so redrawing never wraps. */
  columns?: number;
  /** Most running hosts listed in the live region. */
  maxHostLines?: number;
  /** -v: on a TTY, ok and skipped results are printed too; -vv adds the stdout/stderr of commands. */
  verbose?: number;
}

const C = { red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", magenta: "\x1b[35m", cyan: "\x1b[36m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };
const STATUS_COLOR: Record<string, string> = {
  ok: C.green,
  changed: C.yellow,
  failed: C.red,
  skipped: C.cyan,
  unknown: C.magenta,
  unreachable: C.red,
  ignored: C.dim,
};

export class Progress {
  private readonly now: () => number;
  private started: number;
  private hosts: string[] = [];
  private width = 0;
  private readonly done = new Set<string>();
  private readonly current = new Map<string, TaskRef>();
  private readonly tasksDone = new Map<string, number>();
  private counts = { ok: 0, changed: 0, failed: 0, skipped: 0, unknown: 0, unreachable: 0 };
  private liveLines = 0;
  private lastLive = "";
  private timer: ReturnType<typeof setInterval> | undefined;
  private finished = false;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? Date.now;
    this.started = this.now();
    if (o.isTTY && (o.tickMs ?? 250) > 0) {
      this.timer = setInterval(() => this.redraw(), o.tickMs ?? 250);
      this.timer.unref?.();
    }
  }

  readonly sink: EventSink = (raw: KeelEvent) => {
    if (this.finished) return;
    // host output never reaches the terminal raw (termsafe.ts)
    const e = raw.type === "task.result" || raw.type === "host.unreachable" ? termSafeEvent(raw) : raw;
    switch (e.type) {
      case "run.start":
        this.started = this.now();
        this.hosts = e.hosts;
        this.width = Math.max(0, ...e.hosts.map((h) => h.length));
        break;
      case "play.start":
        for (const u of e.unmatched ?? []) this.print(`warning: could not match supplied host pattern, ignoring: ${oneLine(u)}\n`);
        this.print(
          `${this.paint(C.bold, `PLAY ${e.play}`)} ${this.paint(C.dim, `(${e.hosts.length} host${e.hosts.length === 1 ? "" : "s"}, ${e.pos.file}:${e.pos.line})`)}\n`,
        );
        // as ansible-playbook says it; the run goes on with the next play
        if (e.hosts.length === 0) this.print("skipping: no hosts matched\n");
        break;
      case "task.start":
        this.current.set(e.host, e.task);
        break;
      case "task.result":
        this.tasksDone.set(e.host, (this.tasksDone.get(e.host) ?? 0) + 1);
        this.count(e.result);
        if (!this.o.isTTY || (this.o.verbose ?? 0) > 0 || e.result.status === "changed" || e.result.status === "failed" || e.result.status === "unknown")
          this.print(this.resultText(e.host, e.task, e.result));
        break;
      case "host.unreachable":
        this.counts.unreachable++;
        this.print(`${this.status("unreachable")} ${this.hostCol(e.host)}  ${e.message}\n`);
        break;
      case "host.done":
        this.done.add(e.host);
        this.current.delete(e.host);
        break;
      default:
        break;
    }
    // With a tick, the live region is redrawn by the timer only: redrawing it on every event cost
    // a dozen lines of terminal output per task result (megabytes for a few hundred hosts).
    if (this.o.isTTY && this.eager) this.redraw();
  };

  /** No tick (tests): redraw on every event instead. */
  private get eager(): boolean {
    return (this.o.tickMs ?? 250) <= 0;
  }

  /** Stop redrawing and remove the live region (call before printing the recap). */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.o.isTTY) this.clearLive();
    this.finished = true;
  }

  // ------------------------------------------------------------------ text

  /** One result as plain text (one line, plus the failure cause and --diff details). */
  resultText(host: string, task: TaskRef, r: TaskResult): string {
    const word = r.status === "failed" && r.ignored ? "ignored" : r.status;
    const what = [task.module, r.resource].filter(Boolean).join(" ");
    const item = r.item !== undefined ? ` [${r.item}]` : "";
    let out = `${this.status(word)} ${this.hostCol(host)}  ${task.name}${item}  (${what})${r.handler ? " [handler]" : ""}\n`;
    const pad = " ".repeat(9);
    if (r.status === "failed") {
      const at = `${task.pos.file}:${task.pos.line}`;
      const msg = r.msg ?? "failed";
      // An InputError's text already starts with a place in this task's file (the task's line, or
      // the line of the argument at fault): do not print a second location before it.
      out += `${pad}${msg.startsWith(`${task.pos.file}:`) ? "" : `${at}: `}${block(msg, pad)}\n`;
      if (r.stderr && r.msg && !r.msg.includes(r.stderr.trim())) out += `${pad}stderr: ${oneLine(r.stderr)}\n`;
    }
    if (r.status === "unknown") out += `${pad}${this.paint(C.dim, "cannot predict without running it: " + r.changes.map((c) => c.summary).join("; "))}\n`;
    if (this.o.diff && (r.status === "changed" || r.status === "unknown") && r.changes.length) {
      out += renderChanges(r.changes, { color: this.o.color }, 9);
      if (!out.endsWith("\n")) out += "\n";
    } else if (r.status === "changed") {
      // Without --diff, one line per change says what changed (as a plan would); --diff adds values.
      for (const c of r.changes) out += `${pad}${this.paint(C.dim, `~ ${oneLine(c.summary)}`)}\n`;
    }
    // What the module reported after acting ("rebooted in 5.2 s (boot id changed)").
    if (r.status === "changed" && r.msg && !r.secret && !r.show) out += `${pad}${this.paint(C.dim, oneLine(r.msg))}\n`;
    // A task's own output (debug's msg), shown as Ansible's default callback always shows it.
    if (r.show && r.msg !== undefined) out += `${pad}${r.msg.replace(/\n$/, "").split("\n").join(`\n${pad}`)}\n`;
    if ((this.o.verbose ?? 0) >= 2 && r.status !== "failed") {
      if (r.stdout?.trim()) out += `${pad}stdout: ${block(r.stdout, pad + "        ")}\n`;
      if (r.stderr?.trim()) out += `${pad}stderr: ${block(r.stderr, pad + "        ")}\n`;
    }
    for (const w of r.warnings ?? []) out += `${pad}warning: ${oneLine(w)}\n`;
    return out;
  }

  private status(word: string): string {
    const text = word.padEnd(8);
    return this.o.color && STATUS_COLOR[word] ? STATUS_COLOR[word] + text + C.reset : text;
  }

  private hostCol(h: string): string {
    return h.padEnd(this.width);
  }

  private paint(color: string, s: string): string {
    return this.o.color ? color + s + C.reset : s;
  }

  private count(r: TaskResult): void {
    if (r.status === "failed" && r.ignored) return;
    this.counts[r.status]++;
  }

  // ------------------------------------------------------------------ TTY live region

  private print(text: string): void {
    if (!this.o.isTTY) {
      this.o.write(text);
      return;
    }
    this.clearLive();
    this.o.write(text);
    // With a tick the region comes back at the next tick, so a burst of lines costs one redraw.
    if (this.eager) this.drawLive();
  }

  private clearLive(): void {
    if (this.liveLines > 0) {
      // cursor up to the start of the live region, then clear to the end of the screen
      this.o.write(`\x1b[${this.liveLines}A\r\x1b[J`);
      this.liveLines = 0;
    }
  }

  private redraw(): void {
    if (this.finished || !this.o.isTTY) return;
    if (this.liveLines > 0 && this.liveText() === this.lastLive) return; // nothing new to show
    this.clearLive();
    this.drawLive();
  }

  private drawLive(): void {
    const text = this.liveText();
    this.o.write(text);
    this.lastLive = text;
    this.liveLines = text.split("\n").length - 1;
  }

  private liveText(): string {
    const cols = Math.max(20, (this.o.columns || 80) - 1);
    const lines: string[] = [];
    const c = this.counts;
    const head =
      `${this.done.size}/${this.hosts.length} hosts done  ` +
      `ok ${c.ok}  changed ${c.changed}  failed ${c.failed}  unknown ${c.unknown}  unreachable ${c.unreachable}  ` +
      elapsed(this.now() - this.started);
    lines.push(cut(head, cols));
    const running = this.hosts.filter((h) => !this.done.has(h) && this.current.has(h));
    const max = this.o.maxHostLines ?? 10;
    for (const h of running.slice(0, max)) {
      const t = this.current.get(h)!;
      lines.push(cut(`  ${this.hostCol(h)}  [${this.tasksDone.get(h) ?? 0}] ${t.name} (${t.module})`, cols));
    }
    if (running.length > max) lines.push(`  … ${running.length - max} more hosts running`);
    return lines.map((l, i) => (i === 0 ? this.paint(C.bold, l) : this.paint(C.dim, l))).join("\n") + "\n";
  }
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `${mm}:${ss}`;
}

function cut(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

/** Multi-line text, continuation lines indented under the first. */
function block(s: string, pad: string): string {
  const lines = s.trim().split("\n");
  const shown = lines.length > 12 ? [...lines.slice(0, 12), `… (${lines.length - 12} more lines)`] : lines;
  return shown.join(`\n${pad}`);
}

function oneLine(s: string): string {
  const t = s.trim().replace(/\s*\n\s*/g, " | ");
  return t.length > 500 ? t.slice(0, 499) + "…" : t;
}

/**
 * Progress for report commands (drift, audit…) when stderr is not a terminal: one line when the
 * run starts, one per unreachable host and one per finished host, so a nightly CI log shows
 * progress without repeating every task the report lists anyway.
 *   checking 4 hosts against site.yml (check mode, nothing is changed)
 *   [1/4] lab01: 2 drifted (0.8s, 2 round trips)
 */
export class HostLines {
  private total = 0;
  private done = 0;

  constructor(private readonly o: { write(text: string): void; playbook: string; verb?: string }) {}

  readonly sink: EventSink = (e: KeelEvent) => {
    if (e.type === "run.start") {
      this.total = e.hosts.length;
      this.o.write(
        `${this.o.verb ?? "checking"} ${this.total} host${this.total === 1 ? "" : "s"} against ${this.o.playbook} (check mode, nothing is changed)\n`,
      );
    } else if (e.type === "host.unreachable") this.o.write(`unreachable  ${e.host}: ${termSafe(e.message)}\n`);
    else if (e.type === "host.done") {
      this.done++;
      const st = e.stats;
      const state = st.unreachable ? "unreachable" : st.failed ? "failed" : st.changed ? `${st.changed} drifted` : "in sync";
      this.o.write(`[${this.done}/${this.total}] ${e.host}: ${state} (${(e.durationMs / 1000).toFixed(1)}s, ${e.roundTrips} round trips)\n`);
    }
  };
}
