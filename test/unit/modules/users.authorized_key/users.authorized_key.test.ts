import { describe, it, expect } from "vitest";
import { parseKeyLine, formatKey, fingerprint } from "../../../../modules/users/sshkeys.js";
import { desiredKeys, planKeys } from "../../../../modules/users/authorized_key.js";

const ED = "AAAAC3NzaC1lZDI1NTE5AAAAIAJn8pOdikveYDSXXrqE1g4xrMcHS5L8wBqfZMS/WDYB";

describe("parseKeyLine", () => {
  const table: [string, ReturnType<typeof parseKeyLine>][] = [
    [`ssh-ed25519 ${ED} alice@laptop`, { options: "", type: "ssh-ed25519", body: ED, comment: "alice@laptop" }],
    [`ssh-ed25519 ${ED}`, { options: "", type: "ssh-ed25519", body: ED, comment: "" }],
    [`ssh-ed25519 ${ED} two words `, { options: "", type: "ssh-ed25519", body: ED, comment: "two words" }],
    [
      `from="10.0.0.1,10.0.0.2",command="echo \\"a b\\"",no-pty ssh-ed25519 ${ED} c`,
      { options: `from="10.0.0.1,10.0.0.2",command="echo \\"a b\\"",no-pty`, type: "ssh-ed25519", body: ED, comment: "c" },
    ],
    // An unknown type name is accepted when the blob itself names it (future key types keep working).
    [`ssh-ed25519-future ${ED}`, undefined],
    ["# a comment", undefined],
    ["", undefined],
    ["not a key at all", undefined],
    [`ssh-ed25519 not*base64`, undefined],
    [`from="unterminated ssh-ed25519 ${ED}`, undefined],
  ];
  for (const [line, want] of table) it(JSON.stringify(line.slice(0, 50)), () => expect(parseKeyLine(line)).toEqual(want));

  it("round-trips through formatKey", () => {
    const line = `no-pty ssh-ed25519 ${ED} alice@laptop`;
    expect(formatKey(parseKeyLine(line)!)).toBe(line);
  });
  it("fingerprint matches ssh-keygen -lf", () => {
    expect(fingerprint(parseKeyLine(`ssh-ed25519 ${ED}`)!)).toBe("SHA256:kbVRHgscjIrKv5n0Jbgy0xJ0g5UJIbp8jvr7LPcToc8");
  });
});

describe("desiredKeys / planKeys", () => {
  it("rejects URLs and non-keys with a clear message", () => {
    expect(() => desiredKeys({ user: "u", key: "https://github.com/u.keys" })).toThrow(/a key URL must be the whole key string/);
    expect(() => desiredKeys({ user: "u", key: "hello" })).toThrow(/not an SSH public key/);
  });
  it("accepts a list and multi-line strings, deduplicates by type+body, applies comment", () => {
    const keys = desiredKeys({ user: "u", key: [`ssh-ed25519 ${ED} a\nssh-ed25519 ${ED} b`], comment: "deploy" });
    expect(keys).toEqual([{ options: "", type: "ssh-ed25519", body: ED, comment: "deploy" }]);
  });
  it("drops duplicates of a managed key already in the file", () => {
    const a = { user: "u", key: `ssh-ed25519 ${ED} a` };
    const plan = planKeys(`ssh-ed25519 ${ED} a\nssh-ed25519 ${ED} a-dup\n`, desiredKeys(a), a);
    expect(plan.remove.length).toBe(1);
    expect(plan.content).toBe(`ssh-ed25519 ${ED} a\n`);
  });
  it("exclusive with no key empties the key lines", () => {
    const a = { user: "u", key: [] as string[], exclusive: true };
    expect(planKeys(`ssh-ed25519 ${ED} a\n`, [], a).content).toBe("");
  });
});
