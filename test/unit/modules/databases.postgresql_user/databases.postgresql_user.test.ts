import { describe, expect, it } from "vitest";
import mod from "../../../../modules/databases/postgresql_user.js";
import { passwordChanges, pgMd5, scramMatches } from "../../../../modules/databases/pg-password.js";
import type { Host, ExecOptions } from "../../../../engine/core/module.js";
import { BASE_FACTS } from "../harness.js";

// A verifier PostgreSQL 15 stored for "s3cretPassw0rd" (role appuser, captured on a lab scratch host).
const SCRAM = "SCRAM-SHA-256$4096:2xGOTC0RG+ATfy6ECCKqaA==$EoyBhW5Gy8YEm0Vu8yVErq51iBMhKPF5+7BH7Du4sTk=:3UcNDUOMF1ojdo7N82c/SG6AYYccTAoGtG+oQQiLhU0=";

async function applied(args: Record<string, unknown>, stdout: string) {
  const calls: { cmd: string; sql: string }[] = [];
  const host = {
    name: "h",
    facts: BASE_FACTS,
    run: async (cmd: string, o?: ExecOptions) => (calls.push({ cmd, sql: String(o?.stdin ?? "") }), { stdout: "", stderr: "", rc: 0 }),
  } as unknown as Host;
  const st = mod.probe(args as never, BASE_FACTS).parse(stdout, 0);
  const res = await mod.apply(host, args as never, mod.diff(st, args as never, BASE_FACTS), st);
  return { calls, res };
}

describe("databases.postgresql_user password comparison (as user_should_we_change_password)", () => {
  it.each([
    ["the right password against PostgreSQL's SCRAM verifier", SCRAM, "s3cretPassw0rd", false],
    ["a wrong password against it", SCRAM, "s3cretPassw0rD", true],
    ["the verifier itself given as the password", SCRAM, SCRAM, false],
    ["md5(password + user) stored", pgMd5("pw", "appuser"), "pw", false],
    ["another md5 stored", pgMd5("pw", "other"), "pw", true],
    ["an md5 hash given, equal to the stored one", pgMd5("pw", "appuser"), pgMd5("pw", "appuser"), false],
    ["'' with a password stored", SCRAM, "", true],
    ["'' with none stored", null, "", false],
    ["a password with none stored", null, "pw", true],
  ] as const)("%s", (_what, stored, given, changes) => {
    expect(passwordChanges(stored, "appuser", given)).toBe(changes);
  });

  it("md5 is PostgreSQL's md5(password || user)", () => {
    // printf 'pwappuser' | md5sum
    expect(pgMd5("pw", "appuser")).toBe("md532e9214dba4678c7018e8c529a1d9785");
    expect(scramMatches("s3cretPassw0rd", SCRAM)).toBe(true);
  });
});

describe("databases.postgresql_user apply", () => {
  it("creates with the password on psql's stdin, never in the command, and reports the statement with the password masked", async () => {
    const { calls, res } = await applied(
      { name: "app", password: "Pa'ss", role_attr_flags: "login,createdb", conn_limit: 4 },
      '@pguser\nrc=0\nout=KEEL-PG:{"version" : 150020, "role" : null}\n',
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]!.cmd).not.toContain("Pa'ss");
    expect(calls[0]!.sql).toBe(`BEGIN;\nCREATE USER "app" WITH ENCRYPTED PASSWORD 'Pa''ss' CONNECTION LIMIT 4 CREATEDB LOGIN;\nCOMMIT;\n`);
    expect(JSON.stringify(res)).not.toContain("Pa'ss");
    expect((res as { data: { queries: string[] } }).data.queries).toEqual([
      'CREATE USER "app" WITH ENCRYPTED PASSWORD %(password)s CONNECTION LIMIT 4 CREATEDB LOGIN',
    ]);
  });

  it("alters the password with the flags after it, as user_alter (ALTER USER … WITH ENCRYPTED PASSWORD … FLAGS)", async () => {
    const role = `{"rolsuper" : false, "rolcreaterole" : false, "rolcreatedb" : false, "rolinherit" : true, "rolcanlogin" : true, "rolreplication" : false, "rolbypassrls" : false, "rolconnlimit" : -1, "rolpassword" : "${SCRAM.replace(/\$/g, "$")}", "rolvaliduntil" : null, "comment" : null}`;
    const { calls } = await applied(
      { name: "appuser", password: "new-one", role_attr_flags: "CREATEDB", session_role: "admin" },
      `@pguser\nrc=0\nout=KEEL-PG:{"version" : 150020, "role" : ${role}}\n`,
    );
    expect(calls[0]!.sql).toBe(`BEGIN;\nSET ROLE "admin";\nALTER USER "appuser" WITH ENCRYPTED PASSWORD 'new-one' CREATEDB;\nCOMMIT;\n`);
  });
});

describe("databases.postgresql_* load-time line-break check (validatePgArgs through the engine's refuseLineBreaks)", () => {
  it.each([
    ["name", { name: "app\nuser" }, /argument 'name' contains a newline: it becomes one line of a PostgreSQL statement/],
    ["comment", { name: "app", comment: "a\rb" }, /argument 'comment' contains a carriage return/],
    ["login_user", { name: "app", login_user: "post\0gres" }, /argument 'login_user' contains a NUL byte/],
  ])("refuses a line break in %s with the engine's message and hint", (_arg, args, re) => {
    expect(() => mod.validate!(args as never)).toThrow(re);
  });

  it("walks lists and mappings (keys too), as the mysql modules do", async () => {
    const { validatePgArgs } = await import("../../../../modules/databases/pg-conn.js");
    expect(() => validatePgArgs({ x: ["ok", "b\nad"] })).toThrow(/argument 'x' contains a newline/);
    expect(() => validatePgArgs({ x: { "k\ney": "v" } })).toThrow(/argument 'x' contains a newline/);
    expect(() => validatePgArgs({ x: { k: ["v\0"] } })).toThrow(/argument 'x' contains a NUL byte/);
    expect(() => validatePgArgs({ x: ["a", { k: "v" }], n: 5, b: true })).not.toThrow();
  });

  it("never shows a password in the refusal: its characters are starred, its line breaks kept", () => {
    for (const key of ["password", "login_password"]) {
      let msg = "";
      try {
        mod.validate!({ name: "app", [key]: "Sup3r\nsecret" } as never);
      } catch (e) {
        msg = `${(e as Error).message} ${JSON.stringify(e)}`;
      }
      expect(msg).toMatch(new RegExp(`argument '${key}' contains a newline`));
      expect(msg).not.toMatch(/Sup3r|secret/);
    }
  });
});
