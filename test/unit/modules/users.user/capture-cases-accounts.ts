// Capture cases of users.group and users.user.
import userMod from "../../../../modules/users/user.js";
import groupMod from "../../../../modules/users/group.js";
import { HASH1, HASH2, type Case } from "./capture-case.js";

export const ACCOUNT_CASES: Case[] = [
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
];
