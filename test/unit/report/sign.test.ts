// Detached Ed25519 report signatures: sign, verify, and every way verification must fail (a report
// edited by one byte, an edited signer or time, a wrong key, a non-signature). OpenSSH keys made
// by ssh-keygen work too, with the fingerprint ssh-keygen prints.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fingerprint, keygen, loadPrivateKey, loadPublicKey, signReport, verifyReport } from "../../../engine/report/sign.js";
import { renderAudit } from "../../../engine/report/audit/formats.js";
import { InputError } from "../../../engine/core/errors.js";
import { sampleReport } from "./audit/fixture.js";

const NOW = new Date("2026-12-03T03:00:00.000Z");
const report = Buffer.from(renderAudit(sampleReport(), "json", { color: false, details: true }));
const a = keygen("security@example.com");
const b = keygen("mallory");
const privA = loadPrivateKey(a.privatePem, "a.key");
const pubA = loadPublicKey(a.publicLine, "a.pub");
const pubB = loadPublicKey(b.publicLine, "b.pub");

describe("report signatures", () => {
  it("signs and verifies, saying who signed what and when", () => {
    const sig = signReport(report, "audit.json", privA, { now: NOW });
    // A PEM key has no comment: the signer is its fingerprint unless named.
    expect(sig).toMatchObject({
      format: "keel-signature/v1",
      algorithm: "ed25519",
      signer: a.fingerprint,
      signed_at: "2026-12-03T03:00:00.000Z",
      key_fingerprint: a.fingerprint,
    });
    expect(sig.subject).toMatchObject({
      name: "audit.json",
      size: report.length,
      kind: "keel.audit",
      profile: "cis-level1-server",
      started_at: "2026-12-03T02:00:00.000Z",
    });
    const v = verifyReport(report, JSON.stringify(sig), pubA);
    expect(v.ok).toBe(true);
    // The signer can be named explicitly.
    expect(signReport(report, "audit.json", privA, { now: NOW, signer: "CI nightly" }).signer).toBe("CI nightly");
  });

  it("any edit of the report fails, even one byte", () => {
    const sig = JSON.stringify(signReport(report, "audit.json", privA, { now: NOW }));
    const edited = Buffer.from(report.toString().replace('"status": "fail"', '"status": "pass"'));
    expect(edited.equals(report)).toBe(false);
    const v = verifyReport(edited, sig, pubA);
    expect(v).toMatchObject({ ok: false, reason: expect.stringContaining("the report was modified after signing") });
    const flipped = Buffer.from(report);
    flipped[flipped.length - 2] ^= 1;
    expect(verifyReport(flipped, sig, pubA).ok).toBe(false);
    expect(verifyReport(Buffer.concat([report, Buffer.from(" ")]), sig, pubA).ok).toBe(false);
  });

  it("an edited signer, time or checksum in the signature file fails", () => {
    const sig = signReport(report, "audit.json", privA, { now: NOW });
    for (const edit of [{ signer: "someone else" }, { signed_at: "2027-01-01T00:00:00.000Z" }, { subject: { ...sig.subject, profile: "devsec" } }]) {
      expect(verifyReport(report, JSON.stringify({ ...sig, ...edit }), pubA)).toMatchObject({
        ok: false,
        reason: expect.stringContaining("does not match its signed fields"),
      });
    }
  });

  it("a wrong key fails, and a signature made by another key with a forged fingerprint fails", () => {
    const sig = signReport(report, "audit.json", privA, { now: NOW });
    expect(verifyReport(report, JSON.stringify(sig), pubB)).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`signed with key ${a.fingerprint}, not with the given key ${b.fingerprint}`),
    });
    const forged = signReport(report, "audit.json", loadPrivateKey(b.privatePem, "b.key"), { now: NOW });
    expect(verifyReport(report, JSON.stringify({ ...forged, key_fingerprint: a.fingerprint }), pubA).ok).toBe(false);
    expect(verifyReport(report, "not json", pubA)).toMatchObject({ ok: false, reason: expect.stringContaining("not JSON") });
    expect(verifyReport(report, "{}", pubA).ok).toBe(false);
  });

  it("reads OpenSSH ed25519 keys, with ssh-keygen's fingerprint; refuses other key types", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-sign-"));
    const gen = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ops@example.com", "-f", join(dir, "k")], { encoding: "utf8" });
    if (gen.status !== 0) throw new Error(`ssh-keygen: ${gen.stderr}`);
    const priv = loadPrivateKey(readFileSync(join(dir, "k"), "utf8"), "k");
    const pub = loadPublicKey(readFileSync(join(dir, "k.pub"), "utf8"), "k.pub");
    const printed = spawnSync("ssh-keygen", ["-l", "-f", join(dir, "k.pub")], { encoding: "utf8" }).stdout.split(" ")[1];
    expect(fingerprint(pub.key)).toBe(printed);
    const sig = signReport(report, "audit.json", priv, { now: NOW });
    expect(sig.signer).toBe("ops@example.com");
    expect(verifyReport(report, JSON.stringify(sig), pub).ok).toBe(true);
    spawnSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(dir, "r")]);
    expect(() => loadPrivateKey(readFileSync(join(dir, "r"), "utf8"), "r")).toThrow(InputError);
    expect(() => loadPublicKey(readFileSync(join(dir, "r.pub"), "utf8"), "r.pub")).toThrow(/Ed25519/);
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret", "-f", join(dir, "enc")]);
    expect(() => loadPrivateKey(readFileSync(join(dir, "enc"), "utf8"), "enc")).toThrow(/encrypted/);
  });

  it("every report format can be signed; openssl alone verifies the report's bytes with the PEM public key", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-sign-openssl-"));
    writeFileSync(join(dir, "k.pub.pem"), a.publicPem);
    for (const format of ["text", "html", "sarif", "junit", "markdown", "json"] as const) {
      const bytes = Buffer.from(renderAudit(sampleReport(), format, { color: false, details: true }));
      const sig = signReport(bytes, `audit.${format}`, privA, { now: NOW, meta: { kind: "keel.audit", format, profile: "cis-level1-server" } });
      expect(sig.subject).toMatchObject({ name: `audit.${format}`, kind: "keel.audit", format, profile: "cis-level1-server", size: bytes.length });
      expect(verifyReport(bytes, JSON.stringify(sig), pubA).ok, format).toBe(true);
      // openssl: the raw signature (report_signature, base64) over the exact bytes.
      writeFileSync(join(dir, "report"), bytes);
      writeFileSync(join(dir, "sig.bin"), Buffer.from(sig.report_signature!, "base64"));
      const ok = spawnSync(
        "openssl",
        ["pkeyutl", "-verify", "-pubin", "-inkey", join(dir, "k.pub.pem"), "-rawin", "-in", join(dir, "report"), "-sigfile", join(dir, "sig.bin")],
        { encoding: "utf8" },
      );
      expect(ok.status, `${format}: ${ok.stdout}${ok.stderr}`).toBe(0);
      expect(ok.stdout).toContain("Signature Verified Successfully");
      writeFileSync(join(dir, "report"), Buffer.concat([bytes, Buffer.from("\n")]));
      const bad = spawnSync(
        "openssl",
        ["pkeyutl", "-verify", "-pubin", "-inkey", join(dir, "k.pub.pem"), "-rawin", "-in", join(dir, "report"), "-sigfile", join(dir, "sig.bin")],
        { encoding: "utf8" },
      );
      expect(bad.status, `${format}: an edited report verifies with openssl`).not.toBe(0);
    }
  });

  it("a report_signature from another report, with the rest of the signature file intact, fails", () => {
    const sig = signReport(report, "audit.json", privA, { now: NOW });
    const other = signReport(Buffer.from("something else"), "audit.json", privA, { now: NOW });
    // The raw signature is one of the signed fields: swapping it breaks the signature over the fields.
    expect(verifyReport(report, JSON.stringify({ ...sig, report_signature: other.report_signature }), pubA)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("does not match its signed fields"),
    });
  });
});
