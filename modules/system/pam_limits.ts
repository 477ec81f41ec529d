// system.pam_limits — community.general.pam_limits: one `domain type item value` line of
// /etc/security/limits.conf (or a limits.d file). The edit is Ansible's, line for line: comment
// and blank lines are kept, the first matching domain/type/item line is rewritten (tab-separated)
// only when its value changes, use_max/use_min keep the larger/smaller of the old and new values
// ("unlimited", "infinity" and -1 being the largest), and a missing line is appended.
import { defineModule } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { BACKUP_SCHEMA, type FileStat } from "../../engine/core/filestate.js";
import { currentText, textApply, textChanges, textProbe, type TextOp } from "../../engine/core/textedit.js";

export const LIMIT_ITEMS = [
  "core",
  "data",
  "fsize",
  "memlock",
  "nofile",
  "rss",
  "stack",
  "cpu",
  "nproc",
  "as",
  "maxlogins",
  "maxsyslogins",
  "priority",
  "locks",
  "sigpending",
  "msgqueue",
  "nice",
  "rtprio",
  "chroot",
] as const;

export interface PamLimitsArgs {
  domain: string;
  limit_type: "hard" | "soft" | "-";
  limit_item: (typeof LIMIT_ITEMS)[number];
  value: string | number;
  use_max?: boolean;
  use_min?: boolean;
  backup?: boolean;
  dest?: string;
  comment?: string;
}

const UNLIMITED = ["unlimited", "infinity", "-1"];
const isInt = (v: string) => /^[0-9]+$/.test(v);

export default defineModule<PamLimitsArgs, FileStat, TextOp>({
  name: "system.pam_limits",
  aliases: ["pam_limits", "community.general.pam_limits"],
  description: "Ensure a PAM limit (domain, type, item, value) in /etc/security/limits.conf or a limits.d file, with Ansible's use_max/use_min.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["domain", "limit_type", "limit_item", "value"],
    properties: {
      domain: { type: "string", minLength: 1, pattern: "^\\S+$", description: "A user name, @group, wildcard (*) or uid/gid range." },
      limit_type: { enum: ["hard", "soft", "-"], description: "hard, soft, or - (both)." },
      limit_item: { enum: [...LIMIT_ITEMS], description: "The limit (nofile, nproc, core, memlock…)." },
      value: { type: ["string", "integer"], description: "An integer, or unlimited, infinity or -1 (nice and priority: -20 to 19)." },
      use_max: { type: "boolean", default: false, description: "Keep the larger of the value found and the one given." },
      use_min: { type: "boolean", default: false, description: "Keep the smaller of the value found and the one given." },
      backup: BACKUP_SCHEMA,
      dest: {
        type: "string",
        minLength: 1,
        default: "/etc/security/limits.conf",
        description: "The limits file (created when missing, in an existing directory). Default /etc/security/limits.conf.",
      },
      comment: { type: "string", default: "", description: "A comment written after the value (#comment)." },
    },
  },
  resource: (a) => `pam limit ${a.domain} ${a.limit_type} ${a.limit_item} in ${a.dest ?? "/etc/security/limits.conf"}`,

  validate(a) {
    refuseLineBreaksIn(a, ["domain", "comment", "dest"], "the limits file");
    const v = String(a.value);
    const signed = (a.limit_item === "nice" || a.limit_item === "priority") && /^-?[0-9]+$/.test(v);
    if (!(UNLIMITED.includes(v) || isInt(v) || signed)) {
      throw new ArgError(
        "value",
        "Argument 'value' can be one of 'unlimited', 'infinity', '-1' or positive number. Refer to manual pages for more details.",
        "e.g. value: 65536",
      );
    }
    if (a.use_max && a.use_min) throw new ArgError("use_min", "Cannot use use_min and use_max at the same time.", "keep one of them");
  },

  probe(a) {
    return textProbe({ path: dest(a) });
  },

  diff(st, a) {
    const before = currentText(st);
    if (before === undefined && !st.parentExists) throw new ModuleError(`directory ${dest(a).replace(/\/[^/]*$/, "") || "/"} is not writable (check presence)`);
    const r = editLimits(before ?? "", a, dest(a));
    if (before !== undefined && r.text === before) return [];
    return textChanges(st, { path: dest(a) }, before, r.text, r.message);
  },

  explain(_st, a) {
    return `${a.domain} ${a.limit_type} ${a.limit_item} is ${a.value} in ${dest(a)}`;
  },

  async apply(host, a, changes, st) {
    return textApply(host, { path: dest(a), ...(a.backup ? { backup: true } : {}) }, changes, st);
  },
});

function dest(a: PamLimitsArgs): string {
  return a.dest ?? "/etc/security/limits.conf";
}

/**
 * Pure: Ansible's edit of the limits file's text, line for line as community.general.pam_limits
 * does it. `message` is the line written. Its comment rule is kept as it is: without `comment`, the
 * comment of the last uncommented line that had one (with its line end) is carried to the line it
 * writes, so a new or changed line can take another line's comment and an extra blank line.
 * One deviation: a last line without a line end gets one before a new line is added (Ansible
 * would glue the new limit onto it).
 */
export function editLimits(text: string, a: PamLimitsArgs, path: string): { text: string; message: string } {
  const value = String(a.value);
  const lines = text === "" ? [] : text.split(/(?<=\n)/);
  const out: string[] = [];
  let found = false;
  let message = "";
  let newValue = value;
  let newComment = a.comment ?? "";
  const write = (v: string) => {
    if (newComment) newComment = `\t#${newComment}`;
    return `${a.domain}\t${a.limit_type}\t${a.limit_item}\t${v}${newComment}\n`;
  };
  for (const line of lines) {
    const squeezed = line.startsWith("#") ? "" : line.replace(/\s+/g, " ").trim();
    if (squeezed === "") {
      out.push(line);
      continue;
    }
    const hash = line.indexOf("#");
    if (!newComment) newComment = hash >= 0 ? line.slice(hash + 1) : "";
    const fields = squeezed.split("#", 1)[0]!.trimEnd().split(" ");
    if (fields.length !== 4) {
      out.push(line);
      continue;
    }
    const [dom, type, item, actual] = fields as [string, string, string, string];
    const signedOk = (item === "nice" || item === "priority") && /^-?[0-9]+$/.test(actual);
    if (!(UNLIMITED.includes(actual) || isInt(actual) || signedOk))
      throw new ModuleError(`Invalid configuration of '${path}'. Current value of ${item} is unsupported.`);
    if (dom !== a.domain || type !== a.limit_type || item !== a.limit_item) {
      out.push(line);
      continue;
    }
    found = true;
    if (value === actual) {
      message = line;
      out.push(line);
      continue;
    }
    const actualUnl = UNLIMITED.includes(actual);
    const valueUnl = UNLIMITED.includes(value);
    if (a.use_max) newValue = isInt(value) && isInt(actual) ? String(Math.max(+value, +actual)) : actualUnl ? actual : value;
    if (a.use_min) newValue = isInt(value) && isInt(actual) ? String(Math.min(+value, +actual)) : valueUnl ? actual : value;
    if (newValue !== actual) {
      message = write(newValue);
      out.push(message);
    } else {
      message = line;
      out.push(line);
    }
  }
  if (!found) {
    message = write(newValue);
    if (out.length && !out[out.length - 1]!.endsWith("\n")) out.push("\n");
    out.push(message);
  }
  return { text: out.join(""), message: `${found ? "set" : "add"} ${message.trimEnd().replace(/\t/g, " ")}` };
}
