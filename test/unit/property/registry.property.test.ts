// Property test (issue 10 #2 and #11, kept closed GENERICALLY): every string-valued argument of
// every host module in the registry is found by walking the module's own JSON schema (properties,
// list items, map values, oneOf/anyOf), so a module or an argument added later is covered without
// editing this file. For each one, a value holding a line break is either refused by the loader's
// own argument check (schema + generic NUL refusal + the module's validate: an InputError, never a
// crash) or the argument is named in MULTILINE below with the reason a line break cannot add a line
// to a line-oriented file there. NUL is refused in every argument of every host module. A new
// string argument that accepts a newline and is not listed fails the test, so the decision is made
// explicitly, in review. Arbitrary strings (fast-check) then go through every argument the same way.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { MODULES } from "../../../modules/index.js";
import { validateArgs } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import type { ModuleDef } from "../../../engine/core/module.js";

const [SEED, RUNS] = [20261203, 12];
const POS = { file: "registry.yml", line: 3, col: 7 };

type Schema = Record<string, any>;

/** One string-valued place in a module's arguments: a path of steps from the top. */
type Step = { prop: string } | { item: true } | { mapValue: true };
interface StringArg {
  label: string;
  steps: Step[];
  schema: Schema;
}

const isString = (s: Schema) => s.type === "string" || (Array.isArray(s.type) && s.type.includes("string"));

/** Every string-valued (non-enum) place in a schema. */
export function stringArgs(root: Schema): StringArg[] {
  const out: StringArg[] = [];
  const seen = new Set<string>();
  const walk = (s: Schema | undefined, steps: Step[], label: string, depth: number) => {
    if (!s || typeof s !== "object" || depth > 8) return;
    if (isString(s) && !s.enum && !s.const && !seen.has(label)) {
      seen.add(label);
      out.push({ label, steps, schema: s });
    }
    for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Schema>))
      walk(v, [...steps, { prop: k }], label ? `${label}.${k}` : k, depth + 1);
    if (s.items && typeof s.items === "object") walk(s.items, [...steps, { item: true }], `${label}[]`, depth + 1);
    if (s.additionalProperties && typeof s.additionalProperties === "object")
      walk(s.additionalProperties, [...steps, { mapValue: true }], `${label}.*`, depth + 1);
    for (const k of ["oneOf", "anyOf", "allOf"]) for (const x of (s[k] ?? []) as Schema[]) walk(x, steps, label, depth + 1);
  };
  walk(root, [], "", 0);
  return out;
}

/**
 * Arguments that may hold a line break, per module, with the reason it cannot add a line to a
 * line-oriented file. Patterns: exact labels, or a label prefix ending in "*".
 */
const PATH = "a path: one quoted argument of the host's commands (a file name may hold a newline), never a line of a file";
const OWNER = "a user, group or mode: one quoted argument of chown/chmod, which refuses a name with a line break; never a line of a file";
const MATCH = "a pattern matched against the file's lines or names: a line break can only fail to match, it adds nothing";
const TEXT = "the content itself, many lines by design: the file gets exactly these bytes";
const COMMAND = "a command or script that keel runs by design (the playbook's author runs what they write)";
const ARGV = "one quoted argument of a host command (apt, dnf, tar, getent…), never a line of a file";
const LOCAL = "used on the controller only (matched, compared or printed escaped), never sent into a host file";
const IGNORED = "ignored on Linux as in Ansible (BSD/Solaris account attribute): never reaches a host";
const MULTILINE: Record<string, Record<string, string>> = {
  "files.blockinfile": {
    validate: COMMAND,
    path: PATH,
    dest: PATH,
    name: PATH,
    block: TEXT,
    content: TEXT,
    insertafter: MATCH,
    insertbefore: MATCH,
    mode: OWNER,
    owner: OWNER,
    group: OWNER,
  },
  "files.copy": { validate: COMMAND, src: PATH, dest: PATH, content: TEXT, mode: OWNER, owner: OWNER, group: OWNER },
  "files.file": {
    src: "the target of a symbolic link: a path, one quoted argument of ln",
    path: PATH,
    dest: PATH,
    name: PATH,
    owner: OWNER,
    group: OWNER,
    modification_time_format: "a strftime format parsed on the controller",
    access_time_format: "a strftime format parsed on the controller",
  },
  "files.find": {
    paths: PATH,
    "paths[]": PATH,
    path: PATH,
    "path[]": PATH,
    name: PATH,
    "name[]": PATH,
    patterns: MATCH,
    "patterns[]": MATCH,
    pattern: MATCH,
    "pattern[]": MATCH,
    excludes: MATCH,
    "excludes[]": MATCH,
    exclude: MATCH,
    "exclude[]": MATCH,
    contains: MATCH,
  },
  "files.get_url": { client_cert: PATH, client_key: PATH, tmp_dest: PATH, mode: OWNER, owner: OWNER, group: OWNER },
  "files.ini_file": { path: PATH, dest: PATH, mode: OWNER, owner: OWNER, group: OWNER },
  "files.openssl_dhparam": { mode: OWNER, owner: OWNER, group: OWNER },
  "files.lineinfile": {
    validate: COMMAND,
    path: PATH,
    dest: PATH,
    name: PATH,
    regexp: MATCH,
    regex: MATCH,
    search_string: MATCH,
    insertafter: MATCH,
    insertbefore: MATCH,
    mode: OWNER,
    owner: OWNER,
    group: OWNER,
  },
  "files.replace": {
    validate: COMMAND,
    path: PATH,
    dest: PATH,
    destfile: PATH,
    name: PATH,
    regexp: "a multi-line regular expression by design (Python re.MULTILINE over the whole file)",
    replace: TEXT,
    after: MATCH,
    before: MATCH,
    mode: OWNER,
    owner: OWNER,
    group: OWNER,
  },
  "files.stat": { path: PATH, dest: PATH, name: PATH },
  "files.template": {
    validate: COMMAND,
    src: PATH,
    dest: PATH,
    content: TEXT,
    mode: OWNER,
    owner: OWNER,
    group: OWNER,
    "block_*": "a template delimiter, used by the renderer on the controller",
    "variable_*": "a template delimiter, used by the renderer on the controller",
    "comment_*": "a template delimiter, used by the renderer on the controller",
  },
  "files.unarchive": { src: PATH, dest: PATH, creates: PATH, "exclude[]": ARGV, "include[]": ARGV, "extra_opts[]": ARGV, owner: OWNER, group: OWNER },
  "firewall.nftables": { persist_file: PATH },
  "hardening.pam_profile": { content: "a pam-auth-update profile, many lines by design (CR and NUL are refused)" },
  "hardening.pamd": { path: PATH },
  "packages.apt": { default_release: ARGV, "default-release": ARGV },
  "packages.dnf": { "enablerepo*": ARGV, "disablerepo*": ARGV, "disable_plugin*": ARGV, "enable_plugin*": ARGV, use_backend: ARGV },
  "patches.upgrade": { msg: ARGV, test_command: COMMAND, reboot_command: COMMAND, boot_time_command: COMMAND },
  "services.service": {
    arguments:
      "SysV only: words the author appends to the init script call, split into words like a command (quotes honoured, no shell syntax), so a line break is a word separator",
    pattern: MATCH,
    runlevel: "OpenRC's: ignored on systemd hosts, refused on SysV hosts; never reaches a host",
  },
  "system.command": { cmd: COMMAND, "argv[]": ARGV, chdir: PATH, creates: PATH, removes: PATH, stdin: "sent on the command's stdin, as written" },
  "system.cron": { cron_file: PATH },
  "system.getent": { key: ARGV, service: ARGV, split: LOCAL },
  "system.ping": { data: LOCAL },
  "system.reboot": { msg: ARGV, test_command: COMMAND, reboot_command: COMMAND, boot_time_command: COMMAND },
  "system.setup": { filter: LOCAL, "filter[]": LOCAL },
  "system.shell": { cmd: COMMAND, executable: PATH, chdir: PATH, creates: PATH, removes: PATH, stdin: "sent on the command's stdin, as written" },
  "system.sysctl": { sysctl_file: PATH },
  "system.uri": {
    ca_path: PATH,
    "unredirected_headers[]": "a header NAME compared (lower-cased) with the request's headers, never sent",
    mode: OWNER,
    owner: OWNER,
    group: OWNER,
  },
  "system.wait_for": { path: PATH, search_regex: MATCH, msg: LOCAL },
  "users.authorized_key": { user: "an account name looked up with getent (one quoted argument), never written", path: PATH },
  "users.sudoers": { name: "the file name under sudoers_path (names with '.', '/' or a trailing '~' are refused)", sudoers_path: PATH },
  "users.user": { login_class: IGNORED, profile: IGNORED, role: IGNORED, authorization: IGNORED },
};

/** Minimal arguments a module needs besides the one under test (cross-argument rules). */
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDgxbnJ2vXz7N4f3V8ks4vJQy8o6jrH8HkN3gq0JZr9T keel@test";
const NFT = { chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ proto: "tcp", dport: 22, action: "accept" }] }] };
const BASE: Record<string, Record<string, unknown>> = {
  "databases.postgresql_privs": { objs: "keeltest", privs: "SELECT" },
  "files.blockinfile": { path: "/tmp/keeltest" },
  "files.copy": { dest: "/tmp/keeltest", content: "x" },
  "files.file": { path: "/tmp/keeltest" },
  "files.find": { paths: ["/tmp"] },
  "files.get_url": { client_cert: "/tmp/keeltest" },
  "files.ini_file": { path: "/tmp/keeltest", section: "s", option: "o", value: "v" },
  "files.lineinfile": { path: "/tmp/keeltest", line: "x" },
  "files.replace": { path: "/tmp/keeltest", regexp: "x" },
  "files.template": { attributes: "+i", validate: "true %s" },
  "files.unarchive": { mode: "0644" },
  "firewall.nftables": NFT,
  "firewall.rule": { rule: "allow", port: "22", proto: "tcp" },
  "hardening.kernel_module": { name: "cramfs", file: "/etc/modprobe.d/keeltest.conf" },
  "hardening.sshd_config": { settings: { Banner: "/etc/issue.net" } },
  "packages.apt": { name: "keeltest" },
  "packages.debconf": { question: "keeltest/q", vtype: "string", value: "keeltest" },
  "packages.dnf": { name: "keeltest" },
  "packages.gem": { user_install: false },
  "packages.npm": { global: true },
  "packages.package_facts": { manager: "auto" },
  "packages.pip": { name: "keeltest" },
  "services.service": { name: "keeltest", state: "started" },
  "system.command": { cmd: "true" },
  "system.cron": { name: "keeltest", job: "true", user: "root" },
  "system.mount": { path: "/mnt/keeltest", src: "/dev/keeltest", fstype: "ext4" },
  "system.pam_limits": { domain: "keeltest", value: "1" },
  "system.setup": { gather_subset: "min" },
  "system.sysctl": { name: "net.ipv4.ip_forward", value: "1" },
  "system.uri": { dest: "/tmp/keeltest" },
  "system.wait_for": { path: "/tmp/keeltest" },
  "users.authorized_key": { user: "root", key: KEY },
  "users.sudoers": { name: "keeltest", user: "keeltest", commands: "ALL" },
};

/** Benign values for arguments whose format the schema does not say (checked by validate). */
const SAMPLE: Record<string, string> = {
  "databases.mysql_user priv": "keeltest.*:SELECT",
  "databases.mysql_user resource_limits.*": "1",
  "databases.postgresql_user role_attr_flags": "CREATEDB,NOSUPERUSER",
  "databases.postgresql_privs privs": "SELECT,INSERT",
  "users.authorized_key key": KEY,
  "users.authorized_key key[]": KEY,
  "system.pam_limits value": "1",
  "system.setup gather_subset": "min",
  "system.setup gather_subset[]": "min",
  "packages.package_facts manager": "auto",
  "packages.package_facts manager[]": "auto",
  "hardening.sshd_config settings.*": "/etc/issue.net",
  "firewall.nftables sets[].elements[]": "198.18.0.1",
  "files.copy checksum": "0".repeat(40),
  "files.template output_encoding": "utf-8",
  "firewall.nftables chains[].rules[].jump": "keeltest",
  "firewall.rule dest": "198.18.0.0/15",
  "hardening.sshd_config settings.*[]": "aes256-ctr",
};

/** Benign values by the argument's own name, in any module. */
const SAMPLE_BY_NAME: Record<string, string> = {
  attributes: "+i",
  attr: "+i",
  validate: "true %s",
  mode: "0644",
  directory_mode: "0755",
  umask: "0022",
  dump: "0",
  passno: "0",
  modification_time: "202601010000.00",
  access_time: "202601010000.00",
  saddr: "198.18.0.0/15",
  daddr: "198.18.0.0/15",
  from_ip: "198.18.0.0/15",
  from: "198.18.0.0/15",
  src: "198.18.0.0/15",
  to_ip: "198.18.0.0/15",
  to: "198.18.0.0/15",
  sport: "22",
  dport: "22",
  from_port: "22",
  port: "22",
  to_port: "22",
  priority: "0",
  file: "/etc/modprobe.d/keeltest.conf",
  dropin: "/etc/ssh/sshd_config.d/keeltest.conf",
};
/** The key under which a map value is tested (a map of settings needs a known key). */
const MAPKEY: Record<string, string> = {
  "databases.mysql_user resource_limits.*": "MAX_QUERIES_PER_HOUR",
  "hardening.sshd_config settings.*": "Banner",
  "hardening.sshd_config settings.*[]": "Ciphers",
};
/** Other arguments to drop or add when one argument is tested (aliases, exclusive pairs). */
const WITH: Record<string, { drop?: string[]; add?: Record<string, unknown> }> = {
  "files.copy src": { drop: ["content"] },
  "system.wait_for exclude_hosts[]": { drop: ["path", "search_regex"], add: { state: "drained", port: 22 } },
  "files.file src": { add: { state: "link" } },
  "files.ini_file values[]": { drop: ["value"] },
  "files.ini_file section_has_values[].value": { add: { section_has_values: [{ option: "o" }] } },
  "files.ini_file section_has_values[].values[]": { add: { section_has_values: [{ option: "o" }] } },
  "firewall.nftables sets[].name": { add: { sets: [{ type: "ipv4_addr" }] } },
  "firewall.nftables sets[].elements[]": { add: { sets: [{ name: "keeltest", type: "ipv4_addr" }] } },
  "firewall.nftables chains[].rules[].raw": { add: { chains: [{ name: "input", hook: "input", policy: "accept", rules: [{}] }] } },
  "firewall.nftables chains[].rules[].icmp_type": {
    add: { chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ proto: "icmp", action: "accept" }] }] },
  },
  "firewall.nftables chains[].rules[].icmp_type[]": {
    add: { chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ proto: "icmp", action: "accept" }] }] },
  },
  "firewall.nftables chains[].rules[].icmpv6_type": {
    add: { chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ proto: "icmpv6", action: "accept" }] }] },
  },
  "firewall.nftables chains[].rules[].icmpv6_type[]": {
    add: { chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ proto: "icmpv6", action: "accept" }] }] },
  },
  "firewall.nftables chains[].rules[].jump": {
    add: { chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ proto: "tcp", dport: 22 }] }, { name: "keeltest" }] },
  },
  "firewall.rule interface": { add: { direction: "in" } },
  "firewall.rule if": { add: { direction: "in" } },
  "firewall.rule to_port": { drop: ["port"] },
  "packages.apt pkg[]": { drop: ["name"] },
  "packages.apt package[]": { drop: ["name"] },
  "packages.apt deb": { drop: ["name"] },
  "packages.dnf pkg[]": { drop: ["name"] },
  "packages.pip requirements": { drop: ["name"] },
  "system.command argv[]": { drop: ["cmd"] },
  "system.cron insertafter": { add: { env: true } },
  "system.cron insertbefore": { add: { env: true } },
  "users.sudoers group": { drop: ["user"] },
};

/** Arguments refused whatever their value (not implemented by keel): nothing of them reaches a host. */
const UNIMPLEMENTED = /not implemented|not supported|does not implement/;

/** Values tried, in order, for a string that must also match the schema's pattern. */
const BENIGN = ["keeltest", "/tmp/keeltest", "0644", "http://198.18.0.10/keeltest", "sha256:" + "0".repeat(64), "tcp", "net.ipv4.ip_forward", "1"];

function matches(s: Schema, v: string): boolean {
  if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)) return false;
  if (typeof s.minLength === "number" && v.length < s.minLength) return false;
  if (typeof s.maxLength === "number" && v.length > s.maxLength) return false;
  return true;
}
const benignFor = (s: Schema) => BENIGN.find((v) => matches(s, v)) ?? "keeltest";

/** A minimal instance of a schema: its required properties, one-element lists where required. */
function sample(s: Schema | undefined, depth = 0): unknown {
  if (!s || depth > 6) return "keeltest";
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const alt = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  const t = Array.isArray(s.type) ? s.type[0] : (s.type ?? (alt ? undefined : "object"));
  if (t === undefined && alt) return sample(alt[0], depth + 1);
  if (t === "string") return benignFor(s);
  if (t === "integer" || t === "number") return s.minimum ?? 1;
  if (t === "boolean") return false;
  if (t === "array") return s.minItems ? [sample(s.items, depth + 1)] : [];
  const o: Record<string, unknown> = {};
  for (const k of (s.required ?? []) as string[]) o[k] = sample(s.properties?.[k], depth + 1);
  return o;
}

/** Set `value` at `steps` inside a copy of `base`, creating one-element lists and maps on the way. */
function place(base: Record<string, unknown>, steps: Step[], value: unknown, mapKey = "keeltest"): Record<string, unknown> {
  const top = structuredClone(base);
  let cur: any = top;
  steps.forEach((st, i) => {
    const last = i === steps.length - 1;
    const next = (): any => {
      const ns = steps[i + 1];
      return ns && "item" in ns ? [] : {};
    };
    if ("prop" in st) {
      if (last) cur[st.prop] = value;
      else {
        if (cur[st.prop] === undefined || typeof cur[st.prop] !== "object" || Array.isArray(cur[st.prop]) !== "item" in steps[i + 1]!) cur[st.prop] = next();
        cur = cur[st.prop];
      }
    } else if ("item" in st) {
      if (last) cur.push(value);
      else {
        if (!cur.length || typeof cur[0] !== "object") cur[0] = next();
        cur = cur[0];
      }
    } else {
      if (last) cur[mapKey] = value;
      else {
        cur[mapKey] ??= next();
        cur = cur[mapKey];
      }
    }
  });
  return top;
}

/** null when the loader accepts the arguments, else the refusal; anything else is a crash. */
function load(m: ModuleDef, args: Record<string, unknown>): InputError | null {
  try {
    validateArgs(m, structuredClone(args), {}, POS);
    return null;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e;
  }
}

function multilineReason(module: string, label: string): string | undefined {
  const t = MULTILINE[module] ?? {};
  for (const [pat, why] of Object.entries(t)) if (pat === label || (pat.endsWith("*") && label.startsWith(pat.slice(0, -1)))) return why;
  return undefined;
}

const HOST = MODULES.filter((m) => m.kind !== "controller");

/** Every (module, argument) pair with benign args that the loader accepts. */
function cases() {
  const out: { m: ModuleDef; a: StringArg; args: (v: string) => Record<string, unknown>; benign: string }[] = [];
  const unbuildable: string[] = [];
  const refusedAlways: string[] = [];
  for (const m of HOST) {
    for (const a of stringArgs(m.args as Schema)) {
      const base = { ...(sample(m.args as Schema) as Record<string, unknown>), ...(BASE[m.name] ?? {}) };
      // an alias is tested alone: with its main argument also given, the alias would be ignored
      const alias = /^Alias (?:of|for) `?([\w-]+)`?/.exec(String(a.schema.description ?? ""));
      if (alias && a.steps.length === 1) delete base[alias[1]!];
      const key = `${m.name} ${a.label}`;
      const last = a.label.replace(/\[\]$/, "").split(".").pop()!;
      for (const d of WITH[key]?.drop ?? []) delete base[d];
      Object.assign(base, WITH[key]?.add ?? {});
      const benign = SAMPLE[key] ?? SAMPLE_BY_NAME[last] ?? benignFor(a.schema);
      const args = (v: string) => place(base, a.steps, v, MAPKEY[key]);
      const err = load(m, args(benign));
      if (err && UNIMPLEMENTED.test(err.message)) refusedAlways.push(`${m.name} ${a.label}`);
      else if (err) unbuildable.push(`${m.name} ${a.label}: ${load(m, args(benign))!.message}`);
      else out.push({ m, a, args, benign });
    }
  }
  return { out, unbuildable, refusedAlways };
}

describe("every string argument of every host module in the registry", () => {
  const { out, unbuildable, refusedAlways } = cases();

  it("the walk finds the arguments (a module without string arguments is still walked)", () => {
    expect(out.length).toBeGreaterThan(300);
    console.log(
      `registry: ${HOST.length} host modules, ${out.length} string arguments tested, ${refusedAlways.length} refused whatever the value (not implemented)`,
    );
  });

  it("benign arguments are accepted, so each refusal below is about the hostile value", () => {
    expect(unbuildable).toEqual([]);
  });

  it("a newline or carriage return is refused at load, or the argument is listed as multi-line with a reason", () => {
    const unlisted: string[] = [];
    for (const { m, a, args, benign } of out) {
      for (const brk of ["\n", "\r"]) {
        const err = load(m, args(`${benign}${brk}INJECTED ALL=(ALL) NOPASSWD: ALL`));
        if (!err && !multilineReason(m.name, a.label)) unlisted.push(`${m.name} ${a.label} accepts ${JSON.stringify(brk)}`);
      }
    }
    expect(unlisted).toEqual([]);
  });

  it("the MULTILINE table names only arguments that exist", () => {
    for (const [mod, t] of Object.entries(MULTILINE)) {
      const m = HOST.find((x) => x.name === mod);
      expect(m, mod).toBeDefined();
      const labels = stringArgs(m!.args as Schema).map((a) => a.label);
      for (const pat of Object.keys(t))
        expect(
          labels.some((l) => l === pat || (pat.endsWith("*") && l.startsWith(pat.slice(0, -1)))),
          `${mod} ${pat}`,
        ).toBe(true);
    }
  });

  it("a NUL byte is refused at load in every argument", () => {
    const accepted: string[] = [];
    for (const { m, a, args, benign } of out) if (!load(m, args(`${benign}\0x`))) accepted.push(`${m.name} ${a.label}`);
    expect(accepted).toEqual([]);
  });

  it("arbitrary strings in every argument: a refusal or an accepted value, never a crash; a line break only where listed", () => {
    let n = 0;
    const hostile = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc
        .array(fc.constantFrom("\n", "\r", "\0", "$(id)", "`id`", "'", '"', "\\", "-rf", "\ud800", "😀", "%s", "*", " ", "#", "\x1b[2K", "{{", "}}"), {
          maxLength: 6,
        })
        .map((x) => x.join("")),
    );
    for (const { m, a, args } of out) {
      const listed = !!multilineReason(m.name, a.label);
      fc.assert(
        fc.property(hostile, (s) => {
          n++;
          const err = load(m, args(s));
          if (err) expect(err.message.length).toBeGreaterThan(0);
          else {
            expect(s.includes("\0"), `${m.name} ${a.label} accepted NUL`).toBe(false);
            if (!listed && !/\{\{|\{%|\{#/.test(s)) expect(/[\n\r]/.test(s), `${m.name} ${a.label} accepted ${JSON.stringify(s)}`).toBe(false);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
    console.log(`fast-check registry arguments: ${n} runs over ${out.length} arguments (seed ${SEED})`);
  });
});
