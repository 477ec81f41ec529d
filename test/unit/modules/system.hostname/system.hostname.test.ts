import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import mod from "../../../../modules/system/hostname.js";

describe("system.hostname schema", () => {
  const validate = new Ajv({ useDefaults: true }).compile(mod.args);
  it("accepts RFC 1123 names and rejects others", () => {
    for (const ok of ["web01", "db-01.example.org", "a"]) expect(validate({ name: ok }), ok).toBe(true);
    for (const bad of ["-web", "web-", "we b", "a;reboot", "x".repeat(64), "a..b"]) expect(validate({ name: bad }), bad).toBe(false);
  });
});

describe("system.hostname use", () => {
  it("refuses Ansible's strategies keel does not implement, naming them", () => {
    expect(() => mod.validate!({ name: "a", use: "redhat" })).toThrow(/hostname strategy 'redhat' is not implemented/);
    expect(() => mod.validate!({ name: "a", use: "debian" })).not.toThrow();
    expect(() => mod.validate!({ name: "a", use: "systemd" })).not.toThrow();
  });
});
