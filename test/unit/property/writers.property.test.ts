// Property test (issue 10 finding #2, kept closed for the writers that came after it): every value
// that becomes one line of a host file or one argument of a command — sshd_config settings and
// paths, PAM profiles, modprobe.d lines, file permission owners and paths, the read-only checks'
// paths, firewall comments and log prefixes, patch package names, sysctl values, hardening profile
// parameters — is refused at load with an InputError when it holds a newline, a carriage return or
// a NUL. Arbitrary strings go through the loader's own argument check (schema + the module's
// validate), exactly as a playbook's literal argument does. Each writer is also run with explicit
// line-break examples, so removing its check fails its test. Fixed seed, bounded runs.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registry } from "../../../modules/index.js";
import { validateArgs } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import { loadCatalog, resolveProfile } from "../../../engine/controls/catalog.js";

const SEED = 20261203;
const RUNS = 60;
const POS = { file: "writers.yml", line: 3, col: 7 };
const BREAKS = /[\n\r\0]/;

const PAYLOADS = ["\n", "\0", "\r", "\r\n", "x\nPermitRootLogin yes", "a\0b", "$(id)", "`id`", "'", '"', "\\", "-rf", "😀", "\ud800", " ", "#"];
const hostile = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...PAYLOADS), fc.string({ unit: "binary", maxLength: 6 })), { minLength: 1, maxLength: 6 })
      .map((a) => a.join("")),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);
/** The values every writer must be tested with, whatever the generator draws. */
const EXAMPLES: [string][] = [["a\nb"], ["a\rb"], ["a\0b"], ["value\nPermitRootLogin yes"]];

interface Writer {
  /** module and what the value becomes on the host */
  name: string;
  module: string;
  args(s: string): Record<string, unknown>;
  /** Characters the writer may legitimately accept (a PAM profile is many lines). */
  allowed?: RegExp;
}

const nftRule = (extra: Record<string, unknown>) => ({
  chains: [{ name: "input", hook: "input", policy: "drop", rules: [{ proto: "tcp", dport: 22, action: "accept", ...extra }] }],
});

const WRITERS: Writer[] = [
  { name: "sshd drop-in line: a setting's value", module: "hardening.sshd_config", args: (s) => ({ settings: { Banner: s } }) },
  { name: "sshd drop-in line: an item of a list setting", module: "hardening.sshd_config", args: (s) => ({ settings: { Ciphers: ["aes256-ctr", s] } }) },
  {
    name: "sshd_config Include line: the drop-in path",
    module: "hardening.sshd_config",
    args: (s) => ({ settings: { MaxAuthTries: 4 }, dropin: `/etc/ssh/sshd_config.d/${s}.conf` }),
  },
  { name: "sshd: the main config path", module: "hardening.sshd_config", args: (s) => ({ settings: { MaxAuthTries: 4 }, config: `/etc/ssh/${s}` }) },
  { name: "modprobe.d lines: the module name", module: "hardening.kernel_module", args: (s) => ({ name: s }) },
  { name: "modprobe.d: the file keel writes", module: "hardening.kernel_module", args: (s) => ({ name: "cramfs", file: `/etc/modprobe.d/${s}.conf` }) },
  { name: "chown argument: the owner", module: "hardening.file_perms", args: (s) => ({ paths: ["/etc/crontab"], mode: "0600", owner: s }) },
  { name: "chown argument: the group", module: "hardening.file_perms", args: (s) => ({ paths: ["/etc/crontab"], mode: "0600", group: s }) },
  { name: "chmod/chown argument: a path", module: "hardening.file_perms", args: (s) => ({ paths: [`/etc/${s}`], mode: "0600" }) },
  { name: "find argument: a searched path", module: "hardening.world_writable", args: (s) => ({ paths: [`/srv/${s}`] }) },
  { name: "find argument: an excluded path", module: "hardening.unowned_files", args: (s) => ({ exclude: [`/proc/${s}`] }) },
  { name: "usermod argument: an exempt account", module: "hardening.system_accounts", args: (s) => ({ exempt: [s] }) },
  { name: "UID 0 allow-list: an account", module: "hardening.uid0", args: (s) => ({ allow: [s] }) },
  // Many lines by design: newlines are its format; a NUL or CR would make PAM read other lines than keel compares.
  {
    name: "PAM profile content",
    module: "hardening.pam_profile",
    args: (s) => ({ name: "keeltest", content: `Name: t\nDefault: yes\nPriority: 1\nAuth-Type: Primary\nAuth:\n\trequired\tpam_permit.so ${s}\n` }),
    allowed: /\n/g,
  },
  { name: "nft rule: comment", module: "firewall.nftables", args: (s) => nftRule({ comment: s }) },
  { name: "nft rule: log prefix", module: "firewall.nftables", args: (s) => nftRule({ log_prefix: s }) },
  { name: "ufw rule: comment", module: "firewall.rule", args: (s) => ({ rule: "allow", port: 22, proto: "tcp", comment: s }) },
  { name: "apt-mark/dpkg argument: a held package", module: "patches.hold", args: (s) => ({ name: s }) },
  { name: "apt argument: an `only` package glob", module: "patches.upgrade", args: (s) => ({ scope: "security", only: [s] }) },
  { name: "sysctl.d line: the value", module: "system.sysctl", args: (s) => ({ name: "net.ipv4.ip_forward", value: s }) },
  { name: "sysctl.d line: the key", module: "system.sysctl", args: (s) => ({ name: `net.ipv4.${s}`, value: "0" }) },
];

/** null when the loader accepts the arguments, else the refusal. */
function load(w: Writer, s: string): InputError | null {
  const m = registry.get(w.module);
  if (!m) throw new Error(`no module ${w.module}`);
  try {
    validateArgs(m, w.args(s), {}, POS);
    return null;
  } catch (e) {
    if (!(e instanceof InputError)) throw e; // anything else is a crash, not a refusal
    return e;
  }
}

describe("one-line values of every writer, refused at load when they hold a line break or NUL", () => {
  for (const w of WRITERS) {
    it(`${w.module}: ${w.name}`, () => {
      let n = 0;
      let refused = 0;
      fc.assert(
        fc.property(hostile, (s) => {
          n++;
          const err = load(w, s);
          if (err) refused++;
          const rest = w.allowed ? s.replace(w.allowed, "") : s;
          // Accepted only when the value cannot add a line of its own; a refusal says what is wrong.
          if (!err) expect(BREAKS.test(rest), `${JSON.stringify(s)} was accepted`).toBe(false);
          else expect(err.message.length).toBeGreaterThan(0);
        }),
        { seed: SEED, numRuns: RUNS, examples: EXAMPLES },
      );
      expect(refused).toBeGreaterThan(0);
      console.log(`fast-check ${w.module} (${w.name}): ${n} runs, ${refused} refused (seed ${SEED})`);
    });
  }

  it("hardening profile parameters: a value with a line break or NUL is refused at the profile's file:line:col", () => {
    const cat = loadCatalog();
    const dir = mkdtempSync(join(tmpdir(), "keel-writers-profile-"));
    let n = 0;
    fc.assert(
      fc.property(hostile, fc.constantFrom("hardening_umask", "hardening_ssh_banner", "hardening_ssh_ciphers"), (s, param) => {
        const f = join(dir, `p${++n}.yml`);
        const value = param === "hardening_ssh_ciphers" ? JSON.stringify(["aes256-ctr", s]) : JSON.stringify(s);
        writeFileSync(f, `profile: t\nextends: cis-level1-server\nparams:\n  ${param}: ${value}\n`);
        let err: InputError | undefined;
        try {
          resolveProfile(cat, f);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          err = e;
        }
        if (BREAKS.test(s)) {
          expect(err?.message, JSON.stringify(s)).toMatch(/contains a (newline|carriage return|NUL)/);
          expect(err?.pos).toMatchObject({ file: f, line: 4 });
        }
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        examples: [
          ["a\nb", "hardening_umask"],
          ["a\0b", "hardening_ssh_banner"],
          ["x\ny", "hardening_ssh_ciphers"],
        ],
      },
    );
    console.log(`fast-check hardening profile params: ${n} runs (seed ${SEED})`);
  });
});
