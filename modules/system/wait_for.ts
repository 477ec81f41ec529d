// system.wait_for: wait, on the host, until a TCP port answers (or stops answering) or a file
// exists (optionally containing a pattern) or is gone. Arguments follow Ansible's wait_for. Used as
// the health check between the batches of a rolling upgrade (playbooks/patch.yml).
//
// Waiting is an action, not a state: the probe checks the condition once; when it already holds
// the task is ok ("port 22 on 127.0.0.1 answers"), otherwise the one change "wait for …" (an action,
// never drift) makes apply poll on the host, in a single command, until it holds or `timeout`
// passes, which fails the task with `msg`.
import { defineModule } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";

export interface WaitForArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: "started" | "stopped" | "present" | "absent";
  search_regex?: string;
  timeout?: number;
  delay?: number;
  sleep?: number;
  connect_timeout?: number;
  msg?: string;
}

export interface WaitForState {
  met: boolean;
}

const HOST_RE = /^[A-Za-z0-9_.:-]+$/;

/** The condition as one shell command: exit 0 when it holds. */
export function conditionScript(a: WaitForArgs): string {
  const state = a.state ?? "started";
  const want = state === "started" || state === "present";
  if (a.port !== undefined) {
    const h = a.host ?? "127.0.0.1";
    const ct = a.connect_timeout ?? 5;
    // bash's /dev/tcp, else nc, else python3: whichever the host has.
    const open =
      `{ if command -v bash >/dev/null 2>&1; then timeout ${ct} bash -c ${shq(`exec 3<>/dev/tcp/${h}/${a.port}`)}; ` +
      `elif command -v nc >/dev/null 2>&1; then nc -z -w ${ct} ${shq(h)} ${a.port}; ` +
      `else python3 -c ${shq(`import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), ${ct})`)} ${shq(h)} ${a.port}; fi; } >/dev/null 2>&1`;
    return want ? open : `! ${open}`;
  }
  const p = shq(a.path!);
  if (!want) return `[ ! -e ${p} ]`;
  return a.search_regex !== undefined ? `grep -Eq -- ${shq(a.search_regex)} ${p} 2>/dev/null` : `[ -e ${p} ]`;
}

export function conditionText(a: WaitForArgs): string {
  const state = a.state ?? "started";
  const want = state === "started" || state === "present";
  if (a.port !== undefined) return `port ${a.port} on ${a.host ?? "127.0.0.1"} ${want ? "answers" : "is closed"}`;
  if (!want) return `${a.path} is absent`;
  return a.search_regex !== undefined ? `${a.path} matches /${a.search_regex}/` : `${a.path} exists`;
}

export default defineModule<WaitForArgs, WaitForState>({
  name: "system.wait_for",
  aliases: ["wait_for"],
  refusedArgs: {
    active_connection_states: "state: drained is not implemented, so neither are the connection states it counts",
    exclude_hosts: "state: drained is not implemented, so neither are the hosts it excludes",
  },
  description:
    "Wait on the host until a TCP port answers or closes, or a file appears (optionally matching a pattern) or disappears; fail after `timeout` seconds. " +
    "A health check for rolling upgrades.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      host: { description: "Address to connect to for `port`, from the host itself.", type: "string", default: "127.0.0.1" },
      port: { description: "TCP port that must answer (state started) or be closed (state stopped).", type: "integer", minimum: 1, maximum: 65535 },
      path: {
        description: "File that must exist (started/present, optionally matching search_regex) or be gone (stopped/absent).",
        type: "string",
        minLength: 1,
      },
      state: {
        description:
          "`started`/`present`: the port answers or the file exists. `stopped`/`absent`: the port is closed or the file is gone. (Ansible's `drained` is not supported.)",
        enum: ["started", "stopped", "present", "absent"],
        default: "started",
      },
      search_regex: { description: "With `path`: an extended regular expression (grep -E) the file must contain.", type: "string", minLength: 1 },
      timeout: { description: "Seconds to wait before failing.", type: "integer", minimum: 0, default: 300 },
      delay: { description: "Seconds to wait before the first check of apply.", type: "integer", minimum: 0, default: 0 },
      sleep: { description: "Seconds between checks.", type: "integer", minimum: 1, default: 1 },
      connect_timeout: { description: "Seconds one connection attempt to `port` may take.", type: "integer", minimum: 1, default: 5 },
      msg: { description: "Error message when the timeout passes (default: what was waited for).", type: "string" },
    },
  },

  validate(a) {
    if ((a.port === undefined) === (a.path === undefined))
      throw new InputError("wait_for needs exactly one of port and path", undefined, "e.g. `port: 8080` or `path: /run/app.ready`");
    if (a.search_regex !== undefined && a.path === undefined)
      throw new InputError("search_regex needs path (keel does not read from ports)", undefined, "check a file the service writes, or drop search_regex");
    if (a.host !== undefined && !HOST_RE.test(a.host)) throw new InputError(`host '${a.host}' is not an address or host name`);
  },

  resource(a) {
    return a.port !== undefined ? `port ${a.port}` : `path ${a.path ?? ""}`;
  },

  probe(a) {
    return {
      script: `${snip.begin("wait_for")}\nif ${conditionScript(a)}; then printf 'met=1\\n'; else printf 'met=0\\n'; fi`,
      parse: (stdout) => ({ met: findRec(parseRecords(stdout), "wait_for")?.get("met") === "1" }),
    };
  },

  diff(st, a) {
    return st.met ? [] : [{ summary: `wait until ${conditionText(a)} (timeout ${a.timeout ?? 300} s)`, field: "wait", data: { action: true } }];
  },

  explain(_st, a) {
    return conditionText(a);
  },

  async apply(host, a) {
    const timeout = a.timeout ?? 300;
    const t0 = Date.now();
    const script = [
      `sleep ${a.delay ?? 0}`,
      `end=$(( $(date +%s) + ${timeout} ))`,
      `until ${conditionScript(a)}; do`,
      `  [ "$(date +%s)" -ge "$end" ] && exit 1`,
      `  sleep ${a.sleep ?? 1}`,
      `done`,
    ].join("\n");
    const r = await host.run(script, { check: false });
    const elapsed = Math.round((Date.now() - t0) / 1000);
    if (r.rc !== 0) throw new ModuleError(a.msg ?? `timeout after ${timeout} s waiting until ${conditionText(a)} on ${host.name}`);
    return { msg: `${conditionText(a)} after ${elapsed} s`, data: { elapsed } };
  },
});
