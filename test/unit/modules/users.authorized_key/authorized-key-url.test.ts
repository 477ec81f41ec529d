// users.authorized_key with `key: URL` (Ansible: a key starting with "http" is fetched with
// fetch_url and must answer 200) and validate_certs, against servers on loopback in a child process.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mod, { desiredKeys } from "../../../../modules/users/authorized_key.js";
import type { PrepareContext } from "../../../../engine/core/module.js";

let srv: ChildProcess | undefined;
let http = "";
let https = "";
const tmp = mkdtempSync(join(tmpdir(), "keel-akurl-"));
const ctx = {} as PrepareContext; // prepare reads nothing from the playbook for this module

describe("users.authorized_key key: URL", () => {
  beforeAll(async () => {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(tmp, "k.pem"), "-out", join(tmp, "c.pem"), "-days", "2", "-subj", "/CN=127.0.0.1"],
      {
        stdio: "ignore",
      },
    );
    srv = spawn(process.execPath, [fileURLToPath(new URL("./key-server.cjs", import.meta.url)), join(tmp, "k.pem"), join(tmp, "c.pem")], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const [p1, p2] = await new Promise<string[]>((resolve) => srv!.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim().split(" "))));
    http = `http://127.0.0.1:${p1}`;
    https = `https://127.0.0.1:${p2}`;
  });
  afterAll(() => {
    srv?.stdin?.end();
    srv?.kill();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("fetches the keys (redirects followed, comment lines skipped) and plans with them", () => {
    for (const url of [`${http}/alice.keys`, `${http}/moved.keys`]) {
      const a = mod.prepare!({ user: "u", key: url }, ctx);
      expect(desiredKeys(a).map((k) => k.comment)).toEqual(["alice@laptop", "bob@desk"]);
    }
  });
  it("validate_certs: a self-signed https server fails by default, works with validate_certs: false", () => {
    expect(() => mod.prepare!({ user: "u", key: `${https}/alice.keys` }, ctx)).toThrow(`Error getting key from: ${https}/alice.keys`);
    const a = mod.prepare!({ user: "u", key: `${https}/alice.keys`, validate_certs: false }, ctx);
    expect(desiredKeys(a)).toHaveLength(2);
  });
  it("a status other than 200, an unreachable server and a body that is not keys fail, naming the URL", () => {
    expect(() => mod.prepare!({ user: "u", key: `${http}/nope` }, ctx)).toThrow(`Error getting key from: ${http}/nope`);
    expect(() => mod.prepare!({ user: "u", key: "http://127.0.0.1:1/k" }, ctx)).toThrow("Error getting key from: http://127.0.0.1:1/k");
    expect(() => mod.prepare!({ user: "u", key: `${http}/notkeys` }, ctx)).toThrow(/not an SSH public key/);
  });
  it("the load accepts a URL (fetched later, per host) but refuses a URL among other key lines", () => {
    expect(() => mod.validate!({ user: "u", key: `${http}/alice.keys` })).not.toThrow();
    expect(() => mod.validate!({ user: "u", key: [`${http}/alice.keys`] })).toThrow(/a key URL must be the whole key string/);
  });
});
