// test/bench/execs.ts: counting a host's execs from an strace log (the session apart from keel's shell).
import { describe, expect, it } from "vitest";
import { countExecs } from "../../bench/execs.js";

// An excerpt of a real log (strace -f -qq -e trace=execve on a lab host's sshd during `keel drift`).
const LOG = [
  `31870 execve("/usr/sbin/sshd", ["/usr/sbin/sshd", "-R"], 0x55d3e27ed9a0 /* 19 vars */) = 0`,
  `31941 execve("/bin/sh", ["sh", "-c", "/usr/bin/env -i PATH=/usr/local/"...], 0x5560a78629c0 /* 19 vars */) = 0`,
  `31950 execve("/usr/local/sbin/run-parts", ["run-parts", "--lsbsysinit", "/etc/update-motd.d"], 0x5653cd462a28 /* 19 vars */) = -1 ENOENT (No such file or directory)`,
  `31950 execve("/usr/bin/run-parts", ["run-parts", "--lsbsysinit", "/etc/update-motd.d"], 0x56549642fe10 /* 1 var */) = 0`,
  `31999 execve("/bin/bash", ["bash", "-c", "exec sh"], 0x5560a78c60d0 /* 8 vars */) = 0`,
  `31999 execve("/usr/bin/sh", ["sh"], 0x5653a3dbcd50 /* 10 vars */) = 0`,
  `31999 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7fdc6060fa10) = 32031`,
  `32031 execve("/usr/bin/id", ["id", "-un"], 0x5645ab409948 /* 11 vars */) = 0`,
  `31999 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>`,
  `31999 <... clone resumed>, child_tidptr=0x7fdc6060fa10) = 32036`,
  `32036 vfork( <unfinished ...>`,
  `32036 <... vfork resumed>)              = 32040`,
  `32036 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 32041`,
  `32043 execve("/usr/bin/tr", ["tr", "-d", "\\\\n"], 0x5645deea8e88 /* 11 vars */ <unfinished ...>`,
  `32040 execve("/usr/bin/base64", ["base64"], 0x5645deea8e48 /* 11 vars */) = 0`,
  `32043 <... execve resumed>)             = 0`,
  `32044 execve("/usr/local/bin/getent", ["getent", "passwd", "x"], 0x5645deea8e48 /* 11 vars */ <unfinished ...>`,
  `32044 <... execve resumed>)             = -1 ENOENT (No such file or directory)`,
  `32044 execve("/usr/bin/getent", ["getent", "passwd", "x"], 0x5645deea8e48 /* 11 vars */) = 0`,
  `32045 +++ exited with 0 +++`,
  ``,
].join("\n");

describe("countExecs", () => {
  it("counts successful execs, the session's apart from keel's shell and what runs in it", () => {
    const c = countExecs(LOG);
    // processes: two clones and a vfork (a thread is not one)
    expect(c).toEqual({ total: 9, session: 5, probe: 4, byProgram: { id: 1, tr: 1, base64: 1, getent: 1 }, forks: 3 });
  });
  it("counts nothing as keel's when its shell never started", () => {
    expect(countExecs(LOG.split("\n").slice(0, 5).join("\n"))).toEqual({ total: 4, session: 4, probe: 0, byProgram: {}, forks: 0 });
  });
});
