import { describe, expect, it } from "vitest";
import mod from "../../../../modules/databases/postgresql_privs.js";
import { aclItemText, applyAclEdit, parseAclItem } from "../../../../modules/databases/pg-acl.js";
import type { Host, ExecOptions } from "../../../../engine/core/module.js";
import { BASE_FACTS } from "../harness.js";

describe("pg-acl", () => {
  it.each([
    ["=Tc/postgres", { grantee: "", grantor: "postgres", privs: "Tc", grant: "" }],
    ["appuser=r*w/postgres", { grantee: "appuser", grantor: "postgres", privs: "rw", grant: "r" }],
    ['"we ""x"=U/"Big"', { grantee: 'we "x', grantor: "Big", privs: "U", grant: "" }],
  ])("reads %s and prints it back", (text, item) => {
    expect(parseAclItem(text)).toEqual(item);
    expect(aclItemText(item)).toBe(text);
  });

  it("grant option: granted WITH GRANT OPTION, then only the option revoked", () => {
    const acl = [parseAclItem("postgres=arwdDxt/postgres")];
    const g = applyAclEdit(acl, { grantee: "a", grantor: "postgres", letters: "r", kind: "grant", withGrantOption: true });
    expect(g.map(aclItemText)).toEqual(["postgres=arwdDxt/postgres", "a=r*/postgres"]);
    expect(applyAclEdit(g, { grantee: "a", grantor: "postgres", letters: "r", kind: "revokeGrant" }).map(aclItemText)).toEqual([
      "postgres=arwdDxt/postgres",
      "a=r/postgres",
    ]);
    expect(applyAclEdit(g, { grantee: "a", grantor: "postgres", letters: "r", kind: "revoke" }).map(aclItemText)).toEqual(["postgres=arwdDxt/postgres"]);
  });
});

describe("databases.postgresql_privs apply", () => {
  it("sends Ansible's statements: GRANT then REVOKE GRANT OPTION FOR when grant_option is false", async () => {
    const calls: string[] = [];
    const host = {
      name: "h",
      facts: BASE_FACTS,
      run: async (_c: string, o?: ExecOptions) => (calls.push(String(o?.stdin)), { stdout: "", stderr: "", rc: 0 }),
    } as unknown as Host;
    const args = { database: "app", objs: "t1,t2", privs: "select", roles: "appuser,PUBLIC x", grant_option: false, schema: "s" };
    await mod.apply(host, args as never, [], undefined as never);
    expect(calls).toEqual([
      'BEGIN;\nGRANT SELECT ON TABLE "s"."t1","s"."t2" TO "appuser","PUBLIC x";\nREVOKE GRANT OPTION FOR SELECT ON TABLE "s"."t1","s"."t2" FROM "appuser","PUBLIC x";\nCOMMIT;\n',
    ]);
  });
});

describe("databases.postgresql_privs state absent", () => {
  it("revokes the privileges themselves with grant_option true, as Ansible's QueryBuilder (no GRANT OPTION FOR)", async () => {
    const calls: string[] = [];
    const host = {
      name: "h",
      facts: BASE_FACTS,
      run: async (_c: string, o?: ExecOptions) => (calls.push(String(o?.stdin)), { stdout: "", stderr: "", rc: 0 }),
    } as unknown as Host;
    const args = { database: "shop", type: "schema", objs: "sales", privs: "USAGE", roles: "analyst", state: "absent", grant_option: true };
    await mod.apply(host, args as never, [], undefined as never);
    expect(calls).toEqual(['BEGIN;\nREVOKE USAGE ON SCHEMA "sales" FROM "analyst";\nCOMMIT;\n']);
  });
});
