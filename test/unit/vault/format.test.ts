// Ansible Vault format 1.1/1.2: fixtures written by ansible-vault (ansible-core 2.14) decrypt in
// keel; keel's output has ansible-vault's layout; wrong passwords and damaged texts are refused.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decryptBody, encryptVault, isVaultText, parseEnvelope, VaultFormatError } from "../../../engine/vault/format.js";
import { decryptWith } from "../../../engine/vault/keyring.js";
import { InputError } from "../../../engine/core/errors.js";

const fx = (n: string) => readFileSync(join(__dirname, "fixtures", n), "utf8");
const PW = Buffer.from("correct horse battery staple");
const PLAIN = fx("plain.yml");

describe("vault format", () => {
  it("decrypts ansible-vault's 1.1 file (no vault id)", () => {
    const env = parseEnvelope(fx("v11.yml"));
    expect(env).toMatchObject({ version: "1.1", cipher: "AES256" });
    expect(env.vaultId).toBeUndefined();
    expect(decryptBody(env.body, PW)!.toString()).toBe(PLAIN);
  });

  it("decrypts ansible-vault's 1.2 file with vault id 'prod'", () => {
    const env = parseEnvelope(fx("v12.yml"));
    expect(env).toMatchObject({ version: "1.2", vaultId: "prod" });
    expect(decryptBody(env.body, PW)!.toString()).toBe(PLAIN);
  });

  it("decrypts an encrypt_string value (indented block)", () => {
    const text = fx("inline.yml")
      .split("\n")
      .slice(1)
      .map((l) => l.trim())
      .join("\n");
    expect(decryptBody(parseEnvelope(text).body, PW)!.toString()).toBe("ansible-made-token-2");
  });

  it("a wrong password does not fit (HMAC), it is not an error of format", () => {
    expect(decryptBody(parseEnvelope(fx("v11.yml")).body, Buffer.from("wrong"))).toBeUndefined();
  });

  it("writes ansible-vault's layout: header, 80-column hex lines, final newline; 1.2 only with a vault id", () => {
    const salt = Buffer.alloc(32, 7);
    const t = encryptVault(Buffer.from("x: 1\n"), PW, "default", salt);
    const lines = t.split("\n");
    expect(lines[0]).toBe("$ANSIBLE_VAULT;1.1;AES256");
    expect(t.endsWith("\n")).toBe(true);
    expect(lines.slice(1, -2).every((l) => l.length === 80 && /^[0-9a-f]+$/.test(l))).toBe(true);
    // the same salt and password give the same text (PBKDF2 + CTR are deterministic)
    expect(encryptVault(Buffer.from("x: 1\n"), PW, "default", salt)).toBe(t);
    expect(encryptVault(Buffer.from("x: 1\n"), PW, "dev", salt).split("\n")[0]).toBe("$ANSIBLE_VAULT;1.2;AES256;dev");
    expect(decryptBody(parseEnvelope(t).body, PW)!.toString()).toBe("x: 1\n");
  });

  it("round-trips every length around the 16-byte padding boundary, and binary data", () => {
    for (let n = 0; n <= 33; n++) {
      const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 255));
      expect(decryptBody(parseEnvelope(encryptVault(data, PW)).body, PW)!.equals(data)).toBe(true);
    }
  });

  it("a damaged text is a format error; a flipped ciphertext byte fails the HMAC", () => {
    expect(() => parseEnvelope("$ANSIBLE_VAULT;1.1;AES256\nzz\n")).toThrow(VaultFormatError);
    expect(() => parseEnvelope("$ANSIBLE_VAULT;1.0;AES\n00\n")).toThrow(/version 1.0/);
    expect(() => parseEnvelope("$ANSIBLE_VAULT;1.1;AES128\n00\n")).toThrow(/cipher AES128/);
    const env = parseEnvelope(encryptVault(Buffer.from("secret value"), PW));
    const inner = Buffer.from(env.body, "hex").toString("latin1").split("\n");
    inner[2] = (inner[2]![0] === "0" ? "1" : "0") + inner[2]!.slice(1);
    expect(decryptBody(Buffer.from(inner.join("\n"), "latin1").toString("hex"), PW)).toBeUndefined();
    expect(isVaultText("$ANSIBLE_VAULT;1.1;AES256\n")).toBe(true);
    expect(isVaultText("a: $ANSIBLE_VAULT")).toBe(false);
  });

  it("tries the password of the matching vault id first, then the others; none fitting is an InputError", () => {
    const good = { id: "other", password: PW, source: "f" };
    const bad = { id: "prod", password: Buffer.from("nope"), source: "g" };
    expect(decryptWith([bad, good], fx("v12.yml"), "v12.yml")).toMatchObject({ id: "other" });
    expect(() => decryptWith([bad], fx("v12.yml"), "v12.yml")).toThrow(
      /decryption failed: none of the vault passwords given \(vault ids: prod\) fits \(it was encrypted with vault id 'prod'\)/,
    );
    expect(() => decryptWith([], fx("v11.yml"), "v11.yml")).toThrow(InputError);
  });
});
