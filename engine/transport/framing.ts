// Pure framing of commands over one persistent POSIX `sh` per host (DESIGN.md, "Performance model").
//
// Each command is written to the shell as text and followed by two end markers, one on stderr and
// one on stdout carrying the exit code. Markers hold a random per-connection nonce and a sequence
// number, so a command cannot fake them. The user's command text only ever appears inside single
// quotes (shq) and runs through `eval` in a subshell (or `sh -c` under sudo), so an unbalanced quote,
// `exit` or `cd` in it cannot break the framing or change the persistent shell's state. A command
// never shares stdin with the shell: it gets /dev/null, or its own bytes from a base64 here-doc.
import { shq } from "../core/shell.js";
import { ConnectionError, InternalError } from "../core/errors.js";

export interface FrameMarkers {
  /** On stdout after the command's output: "\n" + out + rc + "\n". */
  out: string;
  /** On stderr after the command's error output: "\n" + err + "\n". */
  err: string;
}

export function frameMarkers(nonce: string, seq: number): FrameMarkers {
  return { out: `__KEEL_${nonce}_${seq}_RC=`, err: `__KEEL_${nonce}_${seq}_END` };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The script a command runs as: cd and environment first, then the command text. */
export function commandScript(command: string, opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  let pre = "";
  if (opts.cwd !== undefined) pre += `cd -- ${shq(opts.cwd)} || exit 1\n`;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new InternalError(`invalid environment variable name ${JSON.stringify(k)}`);
    pre += `${k}=${shq(v)}; export ${k}\n`;
  }
  return pre + command;
}

/**
 * The text written to the persistent shell for one command. `inner` is one line of shell (newlines
 * only inside quotes) that reads the command's stdin from its own stdin; see become.ts.
 */
export function frameCommand(inner: string, stdin: Buffer | undefined, nonce: string, seq: number): string {
  const m = frameMarkers(nonce, seq);
  let text: string;
  if (stdin === undefined) {
    text = `{ ${inner}; } </dev/null\n`;
  } else {
    // A here-doc body begins after the next unquoted newline; `inner` has none, and `{ … }` closes
    // on the same line, so the body follows immediately. base64 text cannot contain the delimiter.
    // The whole of it sits in one more `{ … }` that closes only after the delimiter: sh runs a
    // here-doc cut short by end of input (a lost connection) with the truncated body, but a group
    // that never closes is a syntax error, so a cut frame runs nothing (no half-written file).
    const delim = `__KEEL_${nonce}_${seq}_IN`;
    text = `{ base64 -d <<'${delim}' | { ${inner}; }\n${base64Lines(stdin)}${delim}\n}\n`;
  }
  text += `__keel_rc=$?; printf '\\n%s\\n' '${m.err}' >&2; printf '\\n%s%d\\n' '${m.out}' "$__keel_rc"\n`;
  return text;
}

export function base64Lines(data: Buffer): string {
  const b64 = data.toString("base64");
  let out = "";
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + "\n";
  return out;
}

/**
 * The login's identity, asked once with one `id` (each exec costs the host about a millisecond):
 * prints what `id -un` prints, and keeps $_keel_id (id's line), $_keel_un, $_keel_uid and
 * $_keel_gid in the shell, where commands run without sudo (in a subshell of it) find them: the
 * facts probe and the probes that need the user's own ids read them instead of running id again.
 * When id's line is not the plain form (a real and an effective id that differ, no uid=), the
 * variables stay unset and `id -un` answers.
 */
export const LOGIN_ID =
  `_keel_id=$(id 2>/dev/null); case $_keel_id in *" euid="*|*" egid="*) _keel_id= ;; uid=[0-9]*" gid="[0-9]*) ;; *) _keel_id= ;; esac; ` +
  `if [ -n "$_keel_id" ]; then _keel_uid=\${_keel_id#uid=}; _keel_uid=\${_keel_uid%%[!0-9]*}; _keel_gid=\${_keel_id#* gid=}; _keel_gid=\${_keel_gid%%[!0-9]*}; ` +
  `case $_keel_id in "uid=$_keel_uid("*) _keel_un=\${_keel_id#"uid=$_keel_uid("}; _keel_un=\${_keel_un%%") gid="*} ;; *) _keel_un= ;; esac; ` +
  `[ -z "$_keel_un" ] || printf '%s\\n' "$_keel_un"; else unset _keel_id; id -un; fi`;

/**
 * Shell text run once when the shell starts: a stable locale and PATH, then a ready marker with
 * the login user (LOGIN_ID). The login's own PATH and LC_ALL are kept in shell variables (not
 * exported) for the facts' ansible_env, which shows the login's environment as Ansible sees it.
 */
export function shellPrelude(nonce: string): string {
  return (
    `_keel_path0=$PATH; _keel_lc0=\${LC_ALL-_keel_unset}; LC_ALL=C; export LC_ALL; PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH\n` +
    frameCommand(LOGIN_ID, undefined, nonce, 0)
  );
}

export interface FrameResult {
  stdout: Buffer;
  stderr: Buffer;
  rc: number;
}

/**
 * The most bytes one command may send on one stream before keel gives the host up: a host's output
 * is held in memory, so a hostile or runaway host (a 100 MB stdout cost 3.1 GB of controller memory)
 * must not exhaust the controller. KEEL_MAX_OUTPUT_MB raises or lowers it (default 256).
 */
export function maxOutputBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KEEL_MAX_OUTPUT_MB;
  const mb = raw !== undefined && /^\d+$/.test(raw.trim()) && Number(raw) > 0 ? Number(raw) : 256;
  return mb * 1024 * 1024;
}

/**
 * Finds an end marker in one stream without copying the stream on every chunk: chunks are kept as
 * they arrive and only a short tail is searched together with each new chunk, so large outputs
 * cost linear time.
 */
class StreamCollector {
  private chunks: Buffer[] = [];
  private len = 0;
  private tail: Buffer = Buffer.alloc(0);
  /** Absolute offset of the marker, once seen. */
  private found?: number;

  constructor(
    private readonly marker: Buffer,
    private readonly limit: number,
    private readonly name: string,
  ) {}

  /** Adds a chunk; returns the whole stream once the marker was seen and `complete` says the bytes after it are in. */
  push(chunk: Buffer, complete: (after: Buffer) => boolean): { data: Buffer; after: Buffer } | undefined {
    this.chunks.push(chunk);
    this.len += chunk.length;
    if (this.found === undefined && this.len > this.limit) {
      throw new ConnectionError(
        `the command's ${this.name} passed ${Math.round(this.limit / 1048576)} MiB; keel stopped reading this host (KEEL_MAX_OUTPUT_MB sets the limit)`,
        "lost",
      );
    }
    if (this.found === undefined) {
      const window = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
      const at = window.indexOf(this.marker);
      if (at < 0) {
        this.tail = Buffer.from(window.subarray(Math.max(0, window.length - (this.marker.length - 1))));
        return undefined;
      }
      this.found = this.len - window.length + at;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.len);
    this.chunks = [all];
    const after = all.subarray(this.found + this.marker.length);
    return complete(after) ? { data: all.subarray(0, this.found), after } : undefined;
  }
}

/**
 * Collects one command's stdout and stderr chunks until both end markers arrived. Streams are
 * independent (sshd forwards its stdout and stderr pipes separately), so both markers are needed.
 * Each push returns the bytes after the end marker (the next frame's, when several are in flight;
 * else output of background processes between commands, which the caller drops).
 */
export class FrameParser {
  private readonly out: StreamCollector;
  private readonly err: StreamCollector;
  private outDone?: { data: Buffer; rc: number };
  private errDone?: Buffer;

  constructor(nonce: string, seq: number, limit: number = maxOutputBytes()) {
    const m = frameMarkers(nonce, seq);
    this.out = new StreamCollector(Buffer.from(`\n${m.out}`), limit, "stdout");
    this.err = new StreamCollector(Buffer.from(`\n${m.err}\n`), limit, "stderr");
  }

  pushStdout(chunk: Buffer): Buffer | undefined {
    if (this.outDone) return chunk;
    const r = this.out.push(chunk, (after) => after.includes(0x0a));
    if (!r) return undefined;
    const nl = r.after.indexOf(0x0a);
    const rcText = r.after.subarray(0, nl).toString("latin1");
    if (!/^\d+$/.test(rcText)) throw new InternalError(`malformed end marker from the shell: ${JSON.stringify(rcText)}`);
    this.outDone = { data: r.data, rc: Number(rcText) };
    return r.after.subarray(nl + 1);
  }

  pushStderr(chunk: Buffer): Buffer | undefined {
    if (this.errDone) return chunk;
    const r = this.err.push(chunk, () => true);
    if (!r) return undefined;
    this.errDone = r.data;
    return r.after;
  }

  get stdoutDone(): boolean {
    return this.outDone !== undefined;
  }

  get stderrDone(): boolean {
    return this.errDone !== undefined;
  }

  get done(): boolean {
    return this.outDone !== undefined && this.errDone !== undefined;
  }

  result(): FrameResult {
    if (!this.outDone || !this.errDone) throw new InternalError("frame is not complete");
    return { stdout: this.outDone.data, stderr: this.errDone, rc: this.outDone.rc };
  }
}
