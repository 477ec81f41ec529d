// files.openssl_dhparam — community.crypto.openssl_dhparam: a Diffie-Hellman parameters file
// (PEM, PKCS#3) of `size` bits at `path`, with the file's mode/owner/group, or no such file.
// Decided as Ansible decides it:
//   - valid (openssl backend, what Ansible's auto picks on a host without python3-cryptography):
//     `openssl dhparam -check -text -noout -in PATH` succeeds, says "(N bit)" with N = size, and
//     prints no WARNING; with select_crypto_backend: cryptography, only the bit size of p counts;
//   - force regenerates on every run; an invalid or wrong-sized file is regenerated;
//   - the file's attributes are then set as the task names them.
// keel never runs Python on the host: it reads and generates with the host's openssl binary for
// both backends (the same PEM: generator 2, a safe prime of `size` bits). Generation writes a
// temporary file beside PATH and renames it into place (Ansible: mkstemp, then atomic_move), so a
// cut connection leaves the old file or the new one.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, fileOf, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import {
  FS_ATTR_SCHEMAS,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  UNSAFE_WRITES_SCHEMA,
  attrChanges,
  attrCommands,
  attrOps,
  createAttrs,
  fileProbeScript,
  newAttrOps,
  parseFileStat,
  parentOf,
  validateFsAttrs,
  type AttrArgs,
  type AttrOp,
  type FileStat,
} from "./common.js";

export interface DhparamArgs extends AttrArgs {
  path: string;
  state?: "present" | "absent";
  size?: number;
  force?: boolean;
  backup?: boolean;
  select_crypto_backend?: "auto" | "cryptography" | "openssl";
  return_content?: boolean;
  unsafe_writes?: boolean;
}

export interface DhparamState extends FileStat {
  openssl: boolean;
  /** The parameters' size in bits when the file passed the backend's check; undefined: invalid or missing. */
  validBits?: number;
  /** Why the file is not valid (for the summary). */
  invalid?: string;
  /** return_content: the file's text. */
  text?: string;
}

/** generate: `attrs` are what a new file gets (the task's mode/owner/group…). */
export type DhparamOp = { op: "generate"; attrs: AttrOp[] } | { op: "remove" } | AttrOp;

export default defineModule<DhparamArgs, DhparamState, DhparamOp>({
  name: "files.openssl_dhparam",
  aliases: ["openssl_dhparam", "community.crypto.openssl_dhparam"],
  description:
    "Ensure a Diffie-Hellman parameters file (PEM) of the given size exists with the given mode/owner/group, regenerated when invalid, of another size or forced; or absent. Read and generated with the host's openssl.",
  argAliases: { attr: "attributes" },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["path"],
    properties: {
      path: { type: "string", pattern: "^/", description: "The file of the parameters (its folder must exist)." },
      state: { enum: ["present", "absent"], default: "present", description: "Whether the parameters file should exist." },
      size: { type: "integer", minimum: 512, default: 4096, description: "Size in bits of the parameters (the safe prime p). Default 4096." },
      force: { type: "boolean", default: false, description: "Regenerate the parameters on every run, even when the file is valid." },
      backup: {
        type: "boolean",
        default: false,
        description: "Keep a timestamped copy (PATH.PID.DATE@TIME~) of the old file before it is replaced or removed.",
      },
      select_crypto_backend: {
        enum: ["auto", "cryptography", "openssl"],
        default: "auto",
        description:
          "How a file is judged valid: openssl (and auto, as on a host without python3-cryptography) runs `openssl dhparam -check` and wants no WARNING; cryptography compares only the bit size of p. keel reads and generates with the host's openssl binary in every case.",
      },
      return_content: { type: "boolean", default: false, description: "Register the (current or generated) parameters' PEM text as `dhparams`." },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
    },
  },
  resource: (a) => `DH parameters ${a.path}`,

  validate(a) {
    if (/[\n\r\0]/.test(a.path)) throw new ArgError("path", "path must not hold a line break or NUL", "one path on one line");
    validateFsAttrs(a);
  },

  probe(a) {
    const p = shq(a.path);
    const lines = [
      fileProbeScript(a.path, { fs: a }),
      snip.begin("dh"),
      `if command -v openssl >/dev/null 2>&1; then printf 'openssl=1\\n'; fi`,
      `if command -v openssl >/dev/null 2>&1 && [ -f ${p} ]; then`,
      snip.cmd("check", `openssl dhparam${backend(a) === "openssl" ? " -check" : ""} -text -noout -in ${p}`),
      ...(a.return_content ? [snip.readFile("content", a.path)] : []),
      `fi`,
    ];
    return {
      script: lines.join("\n"),
      parse(stdout) {
        const st: DhparamState = { ...parseFileStat(stdout, a.path), openssl: false };
        const recs = parseRecords(stdout);
        st.openssl = recs.find((r) => r.kind === "dh")?.get("openssl") === "1";
        const check = cmdOf(recs, "check");
        if (check) {
          const v = judge(check.rc, check.out, check.err, backend(a));
          if (typeof v === "number") st.validBits = v;
          else st.invalid = v;
        }
        const content = fileOf(recs, "content").content;
        if (content !== undefined) st.text = content.toString("utf8");
        return st;
      },
    };
  },

  diff(st, a) {
    if (!st.parentExists) throw new ModuleError(`The directory '${parentOf(a.path)}' does not exist or the file is not a directory`);
    const out: Change<DhparamOp>[] = [];
    if ((a.state ?? "present") === "absent") {
      if (st.type !== "absent") out.push({ summary: `remove ${a.path}`, field: "state", before: "present", after: "absent", data: { op: "remove" } });
      return out;
    }
    if (!st.openssl)
      throw new ModuleError(
        a.select_crypto_backend === "openssl"
          ? `Failed to find required executable "openssl"`
          : "Cannot detect either the required Python library cryptography (>= 2.0) or the OpenSSL binary openssl",
      );
    const size = a.size ?? 4096;
    const regen = a.force || st.validBits !== size;
    const fresh = st.type === "absent";
    if (regen) {
      const why = a.force
        ? "force"
        : fresh
          ? "missing"
          : st.validBits !== undefined
            ? `${st.validBits} bit, ${size} wanted`
            : (st.invalid ?? "not valid DH parameters");
      const attrs = fresh ? createAttrs(a, false, st.fs) : [];
      out.push({
        summary: `${fresh ? "generate" : "regenerate"} ${size}-bit DH parameters in ${a.path} (${why})${attrs.length ? `, ${attrs.join(", ")}` : ""}`,
        field: "content",
        before: st.validBits !== undefined ? `${st.validBits} bit` : fresh ? null : "invalid",
        after: `${size} bit`,
        data: { op: "generate", attrs: fresh ? newAttrOps(a, false, { fs: st.fs }) : [] },
      });
    }
    if (!fresh) out.push(...attrChanges(st, a, ""));
    return out;
  },

  explain(st, a) {
    return `${a.path} holds valid ${st.validBits}-bit DH parameters${a.mode !== undefined ? `, mode ${st.mode}` : ""}${a.owner !== undefined ? `, owner ${st.owner}` : ""}${a.group !== undefined ? `, group ${st.group}` : ""}`;
  },

  result(st, a) {
    const out: Record<string, unknown> = { size: a.size ?? 4096, filename: a.path };
    // The current file's text; a regenerated one is registered by apply.
    if (a.return_content && (a.state ?? "present") === "present" && !(a.force || st.validBits !== (a.size ?? 4096))) out.dhparams = st.text ?? null;
    return out;
  },

  async apply(host, a, changes, st) {
    const ops = changes.map((c) => c.data!);
    const p = shq(a.path);
    let backup: string | undefined;
    const takeBackup = async (): Promise<void> => {
      if (!a.backup || st.type === "absent") return;
      // Ansible's backup_local: PATH.PID.YYYY-MM-DD@HH:MM:SS~, a copy keeping the file's attributes.
      const r = await host.run(`_b=${p}.$$.$(date +%Y-%m-%d@%H:%M:%S~) && cp -p ${p} "$_b" && printf '%s' "$_b"`);
      backup = r.stdout;
    };
    if (ops.some((o) => o.op === "remove")) {
      await takeBackup();
      await host.run(`rm -f ${p}`);
      return { data: { ...(backup ? { backup_file: backup } : {}) } };
    }
    if (ops.some((o) => o.op === "generate")) {
      await takeBackup();
      // The new file keeps the replaced file's mode and owner, or gets 0666 & ~umask, as atomic_move.
      const keep =
        st.type === "file" && st.mode !== undefined
          ? `chmod ${st.mode} "$_t" && chown ${st.uid}:${st.gid} "$_t"`
          : `chmod "$(printf '%o' $((0666 & ~$(umask))))" "$_t"`;
      const r = await host.run(
        `_t=$(mktemp ${shq(`${parentOf(a.path)}/.keel-dhparam.`)}XXXXXX) || exit 1; ` +
          `if openssl dhparam -out "$_t" ${a.size ?? 4096} 2>/tmp/.keel-dhparam-err.$$ && ${keep} && mv -f "$_t" ${p}; then rm -f /tmp/.keel-dhparam-err.$$; ` +
          `else _rc=$?; cat /tmp/.keel-dhparam-err.$$ >&2; rm -f "$_t" /tmp/.keel-dhparam-err.$$; exit $_rc; fi`,
        { check: false },
      );
      if (r.rc !== 0) {
        const msg = r.stderr.trimEnd();
        return { failed: msg, msg, data: { size: a.size ?? 4096, filename: a.path } };
      }
    }
    const attrs = [...ops.flatMap((o) => (o.op === "generate" ? o.attrs : [])), ...attrOps(changes)];
    if (attrs.length) await host.run(attrCommands(a.path, attrs).join(" && "));
    const data: Record<string, unknown> = { ...(backup ? { backup_file: backup } : {}) };
    if (a.return_content && ops.some((o) => o.op === "generate")) data.dhparams = (await host.run(`cat ${p}`)).stdout;
    return { data };
  },
});

function backend(a: DhparamArgs): "openssl" | "cryptography" {
  return a.select_crypto_backend === "cryptography" ? "cryptography" : "openssl";
}

/**
 * Ansible's _check_params_valid: the size in bits, or why the file is not valid. openssl: a zero
 * exit, "Parameters: (N bit)" in the text and no WARNING on stdout or stderr; cryptography: the
 * parameters load (a zero exit) and p has N bits.
 */
export function judge(rc: number, out: string, err: string, be: "openssl" | "cryptography"): number | string {
  if (rc !== 0) return `openssl cannot read it: ${err.trim().split("\n")[0] ?? ""}`;
  const m = /Parameters:\s+\((\d+) bit\)/.exec(out);
  if (!m) return "no bit size in openssl's output";
  if (be === "openssl" && (out.includes("WARNING") || err.includes("WARNING")))
    return `openssl's check warns: ${(out + err)
      .split("\n")
      .find((l) => l.includes("WARNING"))
      ?.trim()}`;
  return Number(m[1]);
}
