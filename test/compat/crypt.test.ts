// password_hash on a lab host: the host's own crypt(3) (libxcrypt, via python3) verifies the sha512,
// sha256 and yescrypt hashes keel computes, as `user: password=` will need it to.
import { describe, it, expect } from "vitest";
import { evaluate } from "../../engine/template/index.js";
import { describeLab, lab, ssh } from "../e2e/lab.js";

const pos = { file: "t.yml", line: 1, col: 1 };

describeLab("password_hash against a lab host's crypt(3)", () => {
  it.each([
    ["sha512", "s3cret pass"],
    ["sha256", "s3cret pass"],
    ["sha512", "ünïcødé"],
    ["yescrypt", "s3cret pass"],
    ["yescrypt", "ünïcødé"],
  ])("%s %s", async (algo, pw) => {
    const hash = evaluate({ text: `pw | password_hash('${algo}')`, pos }, { pw }) as string;
    const py = `import crypt,sys; h=sys.argv[2]; print("ok" if crypt.crypt(sys.argv[1], h) == h else "bad")`;
    const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    const r = await ssh(lab().hosts[0]!, `python3 -W ignore -c ${q(py)} ${q(pw)} ${q(hash)}`);
    expect(r.stdout.trim(), r.stderr).toBe("ok");
  });
});

describe("password_hash output shape", () => {
  it("$6$ with a 16-character salt", () => {
    expect(evaluate({ text: "'x' | password_hash('sha512')", pos }, {})).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  });
});
