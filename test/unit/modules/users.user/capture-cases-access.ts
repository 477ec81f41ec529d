// Capture cases of users.authorized_key, users.sudoers, system.command and system.shell.
import keyMod from "../../../../modules/users/authorized_key.js";
import sudoersMod from "../../../../modules/users/sudoers.js";
import commandMod from "../../../../modules/system/command.js";
import shellMod from "../../../../modules/system/shell.js";
import { AK, FP_A, FP_B, FP_C, KEY_A, KEY_B, KEY_C, SUD, writeKeys, type Case } from "./capture-case.js";

export const ACCESS_CASES: Case[] = [
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
