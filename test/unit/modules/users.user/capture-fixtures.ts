// Regenerates the fixture cases of users.*, system.command and system.shell from REAL probe output.
// Run as root on a Debian machine (it creates and deletes throwaway accounts named keeltest-*):
//
//   npx vite-node test/unit/modules/users.user/capture-fixtures.ts
//
// For each case: run the case's setup, run the module's real probe script with `sh` (or as the user
// `nobody`, to capture what a probe without become sees), and write the YAML case with the captured
// stdout/rc. Everything a case expects (changes, explain, apply calls) is written by hand below; the
// probe output is the only captured part. Existing accounts are never touched: setup refuses to run
// when a keeltest-* account already exists, and cleanup deletes only keeltest-* names.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { HostModule } from "../../../../engine/core/module.js";
import { EMPTY_FACTS as BASE_FACTS } from "../../../../engine/core/facts.js";
import userMod from "../../../../modules/users/user.js";
import groupMod from "../../../../modules/users/group.js";
import keyMod from "../../../../modules/users/authorized_key.js";
import sudoersMod from "../../../../modules/users/sudoers.js";
import commandMod from "../../../../modules/system/command.js";
import shellMod from "../../../../modules/system/shell.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export const HASH1 = "$6$keeltestsalt1$2TGr4/aVfmtBiUVaJ5vq97EJZv/f0/J4m/79qxSR.Kskmt6MTNC55boS564BKJNnnjrUXGKkRRz/oWAHWMlqF0";
export const HASH2 = "$6$keeltestsalt2$.1Jl//FyiiX9dhCAth87ZeCaN9R/.wrYGsE6yB/Q8x63TGG7eaPsW9CBhNs5KnGNAywkVBEhvzUSogEfF7KBZ.";
export const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAJn8pOdikveYDSXXrqE1g4xrMcHS5L8wBqfZMS/WDYB alice@laptop";
export const KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFj9F3Y/dMM5qkle34E06grdeE30jtF5V6aNHTmOe1qe bob@desk";
export const KEY_C =
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEl2Do7yUr+pZN3wGp0wTiqRu36ozJI0ptLJeoNUNtsPggdJOWX4NXPhIokogsDkBzzMUeg7bj5Nm67wRgcWZ9E= carol@old";
// Fingerprints as printed by `ssh-keygen -lf` for the keys above.
const FP_A = "SHA256:kbVRHgscjIrKv5n0Jbgy0xJ0g5UJIbp8jvr7LPcToc8";
const FP_B = "SHA256:CLzgO/QAtaR0yhG7IHwei2yW8c9UQSltgTzXfSabVQA";
const FP_C = "SHA256:c+vUzrtosnGf5Yt4pzHW0rvG9Sd1pt/pEmdcot1d+BA";

interface Case {
  mod: HostModule;
  file: string;
  description: string;
  setup?: string;
  args: Record<string, unknown>;
  /** Run the probe as `nobody` (no become). */
  asNobody?: boolean;
  expect: Record<string, unknown>;
}

const AK = "/home/keeltest-u1/.ssh/authorized_keys";
const writeKeys = (content: string, mode = "600") =>
  `mkdir -p /home/keeltest-u1/.ssh && chmod 700 /home/keeltest-u1/.ssh && printf '%s' '${content}' > ${AK} && chmod ${mode} ${AK} && chown -R keeltest-u1:keeltest-u1 /home/keeltest-u1/.ssh`;
const SUD = "/etc/sudoers.d/keeltest-s1";

const CASES: Case[] = [
  // ---------------------------------------------------------------- users.group
  {
    mod: groupMod,
    file: "converged",
    description: "group exists with the wanted gid: nothing to do",
    args: { name: "keeltest-g1", gid: 2951 },
    expect: { state: { group: { name: "keeltest-g1", gid: 2951, members: [] } }, changes: [], explain: "group keeltest-g1 exists with gid 2951" },
  },
  {
    mod: groupMod,
    file: "create",
    description: "missing group is created with its gid",
    args: { name: "keeltest-g9", gid: 2959 },
    expect: {
      state: {},
      changes: [{ field: "state", summary: "group keeltest-g9 absent → present (gid 2959)" }],
      apply: [{ run: "groupadd -g 2959 keeltest-g9" }],
    },
  },
  {
    mod: groupMod,
    file: "create-system",
    description: "system group: groupadd -r",
    args: { name: "keeltest-g9", system: true },
    expect: { changes: [{ field: "state", summary: "group keeltest-g9 absent → present" }], apply: [{ run: "groupadd -r keeltest-g9" }] },
  },
  {
    mod: groupMod,
    file: "gid-differs",
    description: "gid differs: groupmod -g",
    args: { name: "keeltest-g1", gid: 2952 },
    expect: { changes: [{ field: "gid", summary: "gid 2951 → 2952", before: 2951, after: 2952 }], apply: [{ run: "groupmod -g 2952 keeltest-g1" }] },
  },
  {
    mod: groupMod,
    file: "members-parsed",
    description: "a group with members: the members are parsed; no gid given means only existence matters",
    args: { name: "keeltest-ops" },
    expect: { state: { group: { name: "keeltest-ops", gid: 2960, members: ["keeltest-u1"] } }, changes: [] },
  },
  {
    mod: groupMod,
    file: "remove",
    description: "state absent removes the group",
    args: { name: "keeltest-g1", state: "absent" },
    expect: { changes: [{ field: "state", summary: "group keeltest-g1 present → absent" }], apply: [{ run: "groupdel keeltest-g1" }] },
  },
  {
    mod: groupMod,
    file: "absent-already",
    description: "state absent and no such group: converged",
    args: { name: "keeltest-g9", state: "absent" },
    expect: { changes: [], explain: "group keeltest-g9 is absent" },
  },

  // ---------------------------------------------------------------- users.user
  {
    mod: userMod,
    file: "converged",
    description: "every given field already matches, password hash and expiry included",
    args: {
      name: "keeltest-u1",
      uid: 2970,
      group: "keeltest-u1",
      groups: ["keeltest-ops"],
      shell: "/bin/sh",
      home: "/home/keeltest-u1",
      comment: "Keel Test",
      password: HASH1,
      password_lock: false,
      expires: 1893456000,
    },
    expect: {
      state: {
        passwd: { name: "keeltest-u1", uid: 2970, gid: 2970, comment: "Keel Test", home: "/home/keeltest-u1", shell: "/bin/sh" },
        primaryGroup: "keeltest-u1",
        groups: ["keeltest-ops"],
        shadowProbed: true,
        shadow: { name: "keeltest-u1", hash: HASH1, expireDays: 21915 },
      },
      changes: [],
      explain: "user keeltest-u1 exists with uid 2970, group keeltest-u1, shell /bin/sh",
    },
  },
  {
    mod: userMod,
    file: "create",
    description: "missing user: useradd with the given fields, then the hash through chpasswd -e (never on the command line)",
    args: { name: "keeltest-u9", uid: 2979, shell: "/bin/bash", groups: ["keeltest-ops"], comment: "New User", password: HASH2 },
    expect: {
      state: {},
      changes: [{ field: "state", summary: "user keeltest-u9 absent → present", after: { uid: 2979, password: "********" } }],
      apply: [{ run: "useradd -u 2979 -G keeltest-ops -s /bin/bash -c 'New User' -m keeltest-u9" }, { run: "chpasswd -e" }],
    },
  },
  {
    mod: userMod,
    file: "shell-and-groups",
    description: "one change per differing field; one usermod with exactly those fields",
    args: { name: "keeltest-u1", shell: "/bin/bash", groups: ["keeltest-ops", "keeltest-dev"] },
    expect: {
      changes: [
        { field: "groups", summary: "groups +keeltest-dev", after: ["keeltest-ops", "keeltest-dev"] },
        { field: "shell", summary: "shell /bin/sh → /bin/bash", before: "/bin/sh", after: "/bin/bash" },
      ],
      apply: [{ run: "usermod -G keeltest-ops,keeltest-dev -s /bin/bash keeltest-u1" }],
    },
  },
  {
    mod: userMod,
    file: "groups-exact",
    description: "append false: groups not listed are removed",
    args: { name: "keeltest-u1", groups: "keeltest-dev" },
    expect: {
      changes: [{ field: "groups", summary: "groups +keeltest-dev -keeltest-ops" }],
      apply: [{ run: "usermod -G keeltest-dev keeltest-u1" }],
    },
  },
  {
    mod: userMod,
    file: "groups-append",
    description: "append true: only the missing group is added",
    args: { name: "keeltest-u1", groups: ["keeltest-dev"], append: true },
    expect: {
      changes: [{ field: "groups", summary: "groups +keeltest-dev" }],
      apply: [{ run: "usermod -a -G keeltest-dev keeltest-u1" }],
    },
  },
  {
    mod: userMod,
    file: "primary-group",
    description: "primary group change; a listed group that becomes the primary one is not a supplementary membership",
    args: { name: "keeltest-u1", group: "keeltest-ops", groups: ["keeltest-ops"] },
    expect: {
      changes: [
        { field: "group", summary: "group keeltest-u1 → keeltest-ops" },
        { field: "groups", summary: "groups -keeltest-ops" },
      ],
      apply: [{ run: "usermod -g keeltest-ops -G '' keeltest-u1" }],
    },
  },
  {
    mod: userMod,
    file: "password-differs",
    description: "a different hash is reported masked and set through chpasswd -e",
    args: { name: "keeltest-u1", password: HASH2 },
    expect: {
      changes: [{ field: "password", summary: "password hash differs", before: "********", after: "********" }],
      apply: [{ run: "chpasswd -e" }],
    },
  },
  {
    mod: userMod,
    file: "password-on-create",
    description: "update_password: on_create leaves an existing user's password alone",
    args: { name: "keeltest-u1", password: HASH2, update_password: "on_create" },
    expect: { changes: [] },
  },
  {
    mod: userMod,
    file: "lock",
    description: "password_lock: usermod -L",
    args: { name: "keeltest-u1", password_lock: true },
    expect: {
      changes: [{ field: "password_lock", summary: "password_lock unlocked → locked" }],
      apply: [{ run: "usermod -L keeltest-u1" }],
    },
  },
  {
    mod: userMod,
    file: "locked-converged",
    description: "a locked account (shadow hash with '!') with the same hash and password_lock: true is converged",
    setup: "usermod -L keeltest-u1",
    args: { name: "keeltest-u1", password: HASH1, password_lock: true },
    expect: { changes: [] },
  },
  {
    mod: userMod,
    file: "expires",
    description: "expiry given in epoch seconds, compared in shadow days",
    args: { name: "keeltest-u1", expires: 1924992000 },
    expect: {
      changes: [{ field: "expires", summary: "expires 2030-01-01 → 2031-01-01" }],
      apply: [{ run: "usermod -e 2031-01-01 keeltest-u1" }],
    },
  },
  {
    mod: userMod,
    file: "expires-never",
    description: "a negative expires removes the expiry",
    args: { name: "keeltest-u1", expires: -1 },
    expect: { changes: [{ field: "expires", summary: "expires 2030-01-01 → never" }], apply: [{ run: "usermod -e '' keeltest-u1" }] },
  },
  {
    mod: userMod,
    file: "no-become",
    description: "probe without root: the shadow entry is unreadable, so the password cannot be compared (unknown)",
    asNobody: true,
    args: { name: "keeltest-u1", password: HASH1 },
    expect: {
      state: {
        passwd: { name: "keeltest-u1", uid: 2970, gid: 2970, comment: "Keel Test", home: "/home/keeltest-u1", shell: "/bin/sh" },
        primaryGroup: "keeltest-u1",
        groups: ["keeltest-ops"],
        shadowProbed: true,
      },
      changes: [{ field: "password", unknown: true }],
      apply: [{ run: "chpasswd -e" }],
    },
  },
  {
    mod: userMod,
    file: "remove",
    description: "state absent with remove: userdel -r",
    args: { name: "keeltest-u1", state: "absent", remove: true },
    expect: { changes: [{ field: "state", summary: "user keeltest-u1 present → absent (home removed)" }], apply: [{ run: "userdel -r keeltest-u1" }] },
  },
  {
    mod: userMod,
    file: "absent-already",
    description: "state absent and no such user: converged",
    args: { name: "keeltest-u9", state: "absent" },
    expect: { changes: [], explain: "user keeltest-u9 is absent" },
  },

  // ---------------------------------------------------------------- users.authorized_key
  {
    mod: keyMod,
    file: "converged",
    description: "the key is there with another comment: a comment is not drift",
    setup: writeKeys(`${KEY_A}\n${KEY_C}\n`),
    args: { user: "keeltest-u1", key: KEY_A.replace("alice@laptop", "alice@new-laptop") },
    expect: {
      state: {
        userExists: true,
        group: "keeltest-u1",
        path: AK,
        dir: { mode: "0700", owner: "keeltest-u1", group: "keeltest-u1" },
        file: { mode: "0600", owner: "keeltest-u1", group: "keeltest-u1" },
        content: `${KEY_A}\n${KEY_C}\n`,
      },
      changes: [],
      explain: `1 key already in ${AK}`,
    },
  },
  {
    mod: keyMod,
    file: "add",
    description: "a missing key is appended; the file is rewritten whole, atomically, 0600",
    setup: writeKeys(`# team keys\n${KEY_A}\n`),
    args: { user: "keeltest-u1", key: `${KEY_A}\n${KEY_B}\n` },
    expect: {
      changes: [{ field: "keys", summary: `key ssh-ed25519 ${FP_B} (bob@desk) added` }],
      apply: [{ write: AK, content: `# team keys\n${KEY_A}\n${KEY_B}\n`, mode: "0600" }],
    },
  },
  {
    mod: keyMod,
    file: "options",
    description: "key_options differ from the file: drift (options are part of the key's meaning)",
    setup: writeKeys(`${KEY_A}\n`),
    args: { user: "keeltest-u1", key: [KEY_A], key_options: 'from="198.18.0.0/15",no-pty' },
    expect: {
      changes: [{ field: "keys", summary: `key ssh-ed25519 ${FP_A} (alice@laptop) options "" → "from=\\"198.18.0.0/15\\",no-pty"` }],
      apply: [{ write: AK, content: `from="198.18.0.0/15",no-pty ${KEY_A}\n` }],
    },
  },
  {
    mod: keyMod,
    file: "exclusive",
    description: "exclusive: keys not listed are removed; comment lines stay",
    setup: writeKeys(`# team keys\n${KEY_A}\n${KEY_C}\n`),
    args: { user: "keeltest-u1", key: KEY_A, exclusive: true },
    expect: {
      changes: [{ field: "keys", summary: `key ecdsa-sha2-nistp256 ${FP_C} (carol@old) removed` }],
      apply: [{ write: AK, content: `# team keys\n${KEY_A}\n` }],
    },
  },
  {
    mod: keyMod,
    file: "absent",
    description: "state absent removes the key, matched by type and body even with a different comment",
    setup: writeKeys(`${KEY_A}\n${KEY_C}\n`),
    args: { user: "keeltest-u1", key: KEY_C.replace("carol@old", "someone-else"), state: "absent" },
    expect: {
      changes: [{ field: "keys", summary: `key ecdsa-sha2-nistp256 ${FP_C} (carol@old) removed` }],
      apply: [{ write: AK, content: `${KEY_A}\n` }],
    },
  },
  {
    mod: keyMod,
    file: "no-ssh-dir",
    description: "no ~/.ssh yet: the directory is created 0700 owned by the user, then the file",
    setup: "rm -rf /home/keeltest-u1/.ssh",
    args: { user: "keeltest-u1", key: KEY_B },
    expect: {
      state: { userExists: true, group: "keeltest-u1", path: AK },
      changes: [
        { field: "dir", summary: "directory /home/keeltest-u1/.ssh absent → present (0700 keeltest-u1:keeltest-u1)" },
        { field: "keys", summary: `key ssh-ed25519 ${FP_B} (bob@desk) added` },
      ],
      apply: [
        { run: "mkdir -p /home/keeltest-u1/.ssh && chown keeltest-u1:keeltest-u1 /home/keeltest-u1/.ssh && chmod 0700 /home/keeltest-u1/.ssh" },
        { write: AK, content: `${KEY_B}\n`, mode: "0600" },
      ],
    },
  },
  {
    mod: keyMod,
    file: "file-mode",
    description: "keys match but the file is 0644: only the mode is fixed",
    setup: writeKeys(`${KEY_A}\n`, "644"),
    args: { user: "keeltest-u1", key: KEY_A },
    expect: {
      changes: [{ field: "file", summary: `mode of ${AK} 0644 → 0600` }],
      apply: [{ run: `chmod 0600 ${AK}` }],
    },
  },
  {
    mod: keyMod,
    file: "absent-no-file",
    description: "state absent and no file at all: converged, nothing is created",
    setup: "rm -rf /home/keeltest-u1/.ssh",
    args: { user: "keeltest-u1", key: KEY_A, state: "absent" },
    expect: { changes: [] },
  },
  {
    mod: keyMod,
    file: "no-user",
    description: "the user does not exist (yet): unknown in check mode, an error when applied",
    args: { user: "keeltest-u9", key: KEY_A },
    expect: { state: { userExists: false }, changes: [{ field: "user", unknown: true }], apply_error: "user keeltest-u9 does not exist" },
  },

  // ---------------------------------------------------------------- users.sudoers
  {
    mod: sudoersMod,
    file: "converged",
    description: "the file has exactly the rule community.general.sudoers would write, 0440 root:root",
    setup: `printf 'keeltest-u1 ALL=NOPASSWD: /usr/bin/systemctl restart nginx\\n' > ${SUD} && chmod 440 ${SUD}`,
    args: { name: "keeltest-s1", user: "keeltest-u1", commands: ["/usr/bin/systemctl restart nginx"] },
    expect: {
      state: {
        file: { mode: "0440", owner: "root", group: "root" },
        content: "keeltest-u1 ALL=NOPASSWD: /usr/bin/systemctl restart nginx\n",
        visudo: "/usr/sbin/visudo",
      },
      changes: [],
      explain: "sudoers rule /etc/sudoers.d/keeltest-s1 is in place",
    },
  },
  {
    mod: sudoersMod,
    file: "create",
    description: "missing rule: checked with visudo on stdin, then written 0440 root:root (writeFile validates the temp file again)",
    args: { name: "keeltest-s1", user: "keeltest-u1", commands: "/usr/bin/systemctl restart nginx" },
    expect: {
      state: { visudo: "/usr/sbin/visudo" },
      changes: [
        { field: "state", summary: 'sudoers rule /etc/sudoers.d/keeltest-s1 absent → present: + "keeltest-u1 ALL=NOPASSWD: /usr/bin/systemctl restart nginx"' },
      ],
      apply: [{ run: "/usr/sbin/visudo -cf -" }, { write: SUD, content: "keeltest-u1 ALL=NOPASSWD: /usr/bin/systemctl restart nginx\n", mode: "0440" }],
    },
  },
  {
    mod: sudoersMod,
    file: "group-rule",
    description: "a group rule with runas, password required, default commands ALL",
    args: { name: "keeltest-s1", group: "keeltest-ops", runas: "ALL:ALL", nopassword: false },
    expect: {
      changes: [{ field: "state" }],
      apply: [{ run: "/usr/sbin/visudo -cf -" }, { write: SUD, content: "%keeltest-ops ALL=(ALL:ALL) ALL\n", mode: "0440" }],
    },
  },
  {
    mod: sudoersMod,
    file: "content-differs",
    description: "nopasswd changed: the content differs and the file is replaced",
    setup: `printf 'keeltest-u1 ALL=NOPASSWD: ALL\\n' > ${SUD} && chmod 440 ${SUD}`,
    args: { name: "keeltest-s1", user: "keeltest-u1", nopasswd: false },
    expect: {
      changes: [{ field: "content", summary: 'content of /etc/sudoers.d/keeltest-s1 differs: - "keeltest-u1 ALL=NOPASSWD: ALL", + "keeltest-u1 ALL= ALL"' }],
      apply: [{ run: "/usr/sbin/visudo -cf -" }, { write: SUD, content: "keeltest-u1 ALL= ALL\n", mode: "0440" }],
    },
  },
  {
    mod: sudoersMod,
    file: "mode-differs",
    description: "right content, wrong mode: chmod only",
    setup: `printf 'keeltest-u1 ALL=NOPASSWD: ALL\\n' > ${SUD} && chmod 644 ${SUD}`,
    args: { name: "keeltest-s1", user: "keeltest-u1" },
    expect: { changes: [{ field: "mode", summary: "mode 0644 → 0440" }], apply: [{ run: `chmod 0440 ${SUD}` }] },
  },
  {
    mod: sudoersMod,
    file: "invalid-rule",
    description: "visudo rejects the rule (captured real stderr): apply throws and nothing is written",
    args: { name: "keeltest-s1", user: "keeltest-u1", commands: ["systemctl restart nginx"] },
    expect: {
      changes: [{ field: "state" }],
      replies: [{ match: "visudo", rc: 1, stdout: "@@VISUDO_STDOUT@@", stderr: "@@VISUDO_STDERR@@" }],
      apply_error: "is invalid, not installed: .*expected a fully-qualified path name",
    },
  },
  {
    mod: sudoersMod,
    file: "remove",
    description: "state absent removes the file",
    setup: `printf 'keeltest-u1 ALL=NOPASSWD: ALL\\n' > ${SUD} && chmod 440 ${SUD}`,
    args: { name: "keeltest-s1", state: "absent" },
    expect: { changes: [{ field: "state", summary: "sudoers rule /etc/sudoers.d/keeltest-s1 present → absent" }], apply: [{ run: `rm -f ${SUD}` }] },
  },
  {
    mod: sudoersMod,
    file: "absent-already",
    description: "state absent and no file: converged",
    args: { name: "keeltest-s1", state: "absent" },
    expect: { changes: [] },
  },

  // ---------------------------------------------------------------- system.command
  {
    mod: commandMod,
    file: "unguarded",
    description: "no creates/removes: the outcome cannot be predicted (unknown)",
    args: { cmd: "ls -l /tmp" },
    expect: { state: {}, changes: [{ field: "command", summary: "run: ls -l /tmp", unknown: true }], apply: [{ run: "ls -l /tmp" }] },
  },
  {
    mod: commandMod,
    file: "creates-exists",
    description: "creates exists: skipped",
    args: { cmd: "touch /etc/passwd", creates: "/etc/passwd" },
    expect: { state: { creates: true }, changes: [], explain: "skipped, /etc/passwd exists" },
  },
  {
    mod: commandMod,
    file: "creates-glob-chdir",
    description: "creates is a glob relative to chdir",
    args: { cmd: "make install", chdir: "/etc", creates: "pass*" },
    expect: { state: { creates: true }, changes: [] },
  },
  {
    mod: commandMod,
    file: "creates-missing",
    description: "creates missing: the command will run (a predictable change, not unknown)",
    args: { cmd: "touch /tmp/keeltest-created", creates: "/tmp/keeltest-created" },
    expect: { state: { creates: false }, changes: [{ summary: "run: touch /tmp/keeltest-created" }], apply: [{ run: "touch /tmp/keeltest-created" }] },
  },
  {
    mod: commandMod,
    file: "removes-missing",
    description: "removes does not exist: skipped",
    args: { cmd: "rm /tmp/keeltest-nothing", removes: "/tmp/keeltest-nothing" },
    expect: { state: { removes: false }, changes: [], explain: "skipped, /tmp/keeltest-nothing does not exist" },
  },
  {
    mod: commandMod,
    file: "no-shell-features",
    description: "variables, globs and operators stay literal: each word is quoted",
    args: { cmd: `echo "$HOME" 'a b' *.txt | wc` },
    expect: { changes: [{ unknown: true }], apply: [{ run: `echo '$HOME' 'a b' '*.txt' '|' wc` }] },
  },
  {
    mod: commandMod,
    file: "argv",
    description: "argv list: no splitting; an assignment-looking first word is quoted so sh cannot read it as one",
    args: { argv: ["FOO=1", "it's", "%s\\n"] },
    expect: { changes: [{ summary: "run: 'FOO=1' 'it'\\''s' '%s\\n'" }], apply: [{ run: "'FOO=1' 'it'\\''s' '%s\\n'" }] },
  },
  {
    mod: commandMod,
    file: "nonzero-rc",
    description: "a non-zero exit is returned, not thrown: the runner applies failed_when",
    args: { cmd: "false" },
    expect: { changes: [{ unknown: true }], replies: [{ match: "^false$", rc: 1 }], apply: [{ run: "false" }] },
  },

  // ---------------------------------------------------------------- system.shell
  {
    mod: shellMod,
    file: "unguarded",
    description: "a pipeline runs through /bin/sh -c; unknown outcome",
    args: { cmd: "ls /etc | wc -l" },
    expect: { changes: [{ summary: "run: ls /etc | wc -l", unknown: true }], apply: [{ run: "/bin/sh -c 'ls /etc | wc -l'" }] },
  },
  {
    mod: shellMod,
    file: "creates-exists",
    description: "creates exists: skipped",
    args: { cmd: "echo hi > /etc/hostname.keeltest", creates: "/etc/hostname" },
    expect: { changes: [], explain: "skipped, /etc/hostname exists" },
  },
  {
    mod: shellMod,
    file: "removes-exists",
    description: "removes exists: will run",
    args: { cmd: "rm -f /etc/keeltest-*.conf", removes: "/etc/os-release" },
    expect: {
      state: { removes: true },
      changes: [{ summary: "run: rm -f /etc/keeltest-*.conf" }],
      apply: [{ run: "/bin/sh -c 'rm -f /etc/keeltest-*.conf'" }],
    },
  },
  {
    mod: shellMod,
    file: "removes-missing",
    description: "removes missing: skipped",
    args: { cmd: "rm /tmp/keeltest-none", removes: "/tmp/keeltest-none*" },
    expect: { changes: [], explain: "does not exist" },
  },
  {
    mod: shellMod,
    file: "executable",
    description: "executable: run with that shell",
    args: { cmd: "echo ${BASH_VERSION%%.*}", executable: "/bin/bash" },
    expect: { changes: [{ unknown: true }], apply: [{ run: "/bin/bash -c 'echo ${BASH_VERSION%%.*}'" }] },
  },
];

const GLOBAL_SETUP = `
set -e
for n in keeltest-u1 keeltest-u9; do if getent passwd $n >/dev/null; then echo "$n exists; clean up first" >&2; exit 1; fi; done
groupadd -g 2960 keeltest-ops
groupadd -g 2961 keeltest-dev
groupadd -g 2970 keeltest-u1
useradd -u 2970 -g keeltest-u1 -G keeltest-ops -s /bin/sh -m -c 'Keel Test' -e 2030-01-01 keeltest-u1
printf '%s\\n' 'keeltest-u1:${HASH1}' | chpasswd -e
groupadd -g 2951 keeltest-g1
`;

const GLOBAL_CLEANUP = `
for u in keeltest-u1 keeltest-u9; do getent passwd $u >/dev/null && userdel -r $u 2>/dev/null; done
for g in keeltest-u1 keeltest-u9 keeltest-g1 keeltest-g9 keeltest-ops keeltest-dev; do getent group $g >/dev/null && groupdel $g; done
rm -f ${SUD} /tmp/keeltest-created
true
`;

function sh(script: string): void {
  execFileSync("sh", ["-c", script], { stdio: ["ignore", "inherit", "inherit"] });
}

function probe(script: string, asNobody: boolean): { stdout: string; rc: number } {
  const r = asNobody
    ? spawnSync("runuser", ["-u", "nobody", "--", "sh", "-c", script], { encoding: "utf8", cwd: "/" })
    : spawnSync("sh", ["-c", script], { encoding: "utf8", cwd: "/" });
  return { stdout: r.stdout, rc: r.status ?? -1 };
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("run as root: the capture creates throwaway keeltest-* accounts");
  sh(GLOBAL_CLEANUP);
  sh(GLOBAL_SETUP);
  const visudo = spawnSync("visudo", ["-cf", "-"], { input: "keeltest-u1 ALL=NOPASSWD: systemctl restart nginx\n", encoding: "utf8" });
  try {
    for (const c of CASES) {
      const snapshot = c.mod === userMod ? "cp -p /etc/shadow /tmp/keeltest-shadow" : ":";
      sh(snapshot);
      if (c.setup) sh(c.setup);
      const p = probe(c.mod.probe(c.args as never, BASE_FACTS).script, c.asNobody ?? false);
      if (c.mod === userMod) sh("cp -p /tmp/keeltest-shadow /etc/shadow && rm -f /tmp/keeltest-shadow");
      if (c.mod === sudoersMod) sh(`rm -f ${SUD}`);
      let body = stringify({ description: c.description, args: c.args, probe: p.rc === 0 ? { stdout: p.stdout } : p, ...c.expect }, { lineWidth: 0 });
      body = body.replace('"@@VISUDO_STDOUT@@"', JSON.stringify(visudo.stdout)).replace('"@@VISUDO_STDERR@@"', JSON.stringify(visudo.stderr));
      const dir = join(ROOT, c.mod.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, `${c.file}.yml`),
        `# Probe output captured on Debian 12 by capture-fixtures.ts (real ${c.mod.name} probe${c.asNobody ? ", run as nobody" : ""}).\n${body}`,
      );
      console.log(`${c.mod.name}/${c.file}.yml`);
    }
  } finally {
    sh(GLOBAL_CLEANUP);
  }
}

main();
