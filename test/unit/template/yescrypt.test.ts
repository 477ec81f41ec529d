// password_hash('yescrypt'): known answers computed by libxcrypt's crypt(3) (Debian 12's libcrypt1,
// `python3 -c "import crypt; print(crypt.crypt(pw, setting))"`); a lab host's crypt(3) verifies
// keel's hashes in test/compat/crypt.test.ts.
import { describe, it, expect } from "vitest";
import { evaluate } from "../../../engine/template/index.js";
import { decode64, encode64, yescryptHash, yescryptSetting } from "../../../engine/template/yescrypt.js";

const pos = { file: "t.yml", line: 1, col: 1 };

describe("yescrypt as libxcrypt computes it", () => {
  it.each([
    ["password", "$y$j75$abcdefghijklmnop", "N9VtQBnMZBfUGPXsEdXe5UwVLyMe6bKcaAgKzaddXZ9"],
    ["s3cret pass", "$y$j85$/2E./2E./2E./2E./2E./.", "r6lpvkUe/Z1tBhy5uS5zFMbpB0GEr9yO2Rn8RkB97o5"],
    ["ünïcødé", "$y$j7T$Zy1.kTTqdb/zXvE0GBNdi.", "XeNmOWpMjDPGx.XoJ8VTle.ygS0ZVELcZWofiaFzYpA"],
    // the default cost (5): N = 4096, r = 32, with the pre-hash pass
    ["password", "$y$j9T$abcdefghijklmnop", "7asOTx5b6Exfl3myM6K0pLBn.I2hsEvu7G0F7NMfaO."],
  ])("%s with %s", (pw, setting, hash) => {
    expect(yescryptHash(pw, setting)).toBe(`${setting}$${hash}`);
  });

  it("settings for libxcrypt's costs, as crypt_gensalt writes them", () => {
    expect([1, 2, 3, 4, 5, 6, 11].map((c) => yescryptSetting(c, "x").slice(0, 7))).toEqual([
      "$y$j75$",
      "$y$j85$",
      "$y$j7T$",
      "$y$j8T$",
      "$y$j9T$",
      "$y$jAT$",
      "$y$jFT$",
    ]);
  });

  it("base-64 as yescrypt reads it: a salt whose leftover bits are not zero is refused, as crypt(3) does", () => {
    expect(decode64("AB")).toBeUndefined();
    expect(decode64("A.")).toEqual(Buffer.from([12]));
    const b = Buffer.from([1, 2, 3, 250, 251]);
    expect(decode64(encode64(b))).toEqual(b);
  });
});

describe("password_hash('yescrypt')", () => {
  it("with a salt and rounds (the cost) gives crypt(3)'s hash", () => {
    expect(evaluate({ text: "'password' | password_hash('yescrypt', 'abcdefghijklmnop', rounds=1)", pos }, {})).toBe(
      "$y$j75$abcdefghijklmnop$N9VtQBnMZBfUGPXsEdXe5UwVLyMe6bKcaAgKzaddXZ9",
    );
  });
  it("without a salt: the same hash every time, 22-character salt, default cost", () => {
    const h = evaluate({ text: "pw | password_hash('yescrypt', rounds=1)", pos }, { pw: "x" }) as string;
    expect(h).toMatch(/^\$y\$j75\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}$/);
    expect(evaluate({ text: "pw | password_hash('yescrypt', rounds=1)", pos }, { pw: "x" })).toBe(h);
    expect(evaluate({ text: "pw | password_hash('yescrypt', rounds=1, seed='other')", pos }, { pw: "x" })).not.toBe(h);
  });
  it("refuses a salt crypt(3) would refuse and a cost outside 1..11", () => {
    expect(() => evaluate({ text: "'x' | password_hash('yescrypt', 'AB')", pos }, {})).toThrow(/not a yescrypt salt/);
    expect(() => evaluate({ text: "'x' | password_hash('yescrypt', rounds=12)", pos }, {})).toThrow(/1 to 11/);
  });
});
