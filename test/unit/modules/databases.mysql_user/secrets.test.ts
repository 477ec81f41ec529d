// A password with a line break is refused at load, and the refusal never shows the password: the
// engine's hint quotes the refused value, so a secret argument's characters are starred first (as
// in the PostgreSQL modules).
import { describe, expect, it } from "vitest";
import user from "../../../../modules/databases/mysql_user.js";
import db from "../../../../modules/databases/mysql_db.js";
import replication from "../../../../modules/databases/mysql_replication.js";

function refusal(validate: (a: never) => void, args: Record<string, unknown>): string {
  try {
    validate(args as never);
  } catch (e) {
    return `${(e as Error).message} ${JSON.stringify(e)}`;
  }
  return "";
}

describe("MySQL modules: secrets in load errors", () => {
  it("a password with a line break is refused without showing it", () => {
    const cases: [(a: never) => void, Record<string, unknown>, string][] = [
      [user.validate!, { name: "app", password: "Sup3r\nsecret" }, "password"],
      [user.validate!, { name: "app", login_password: "Sup3r\nsecret" }, "login_password"],
      [db.validate!, { name: "app", login_password: "Sup3r\nsecret" }, "login_password"],
      [replication.validate!, { mode: "changeprimary", primary_password: "Sup3r\nsecret" }, "primary_password"],
    ];
    for (const [validate, args, key] of cases) {
      const msg = refusal(validate, args);
      expect(msg).toMatch(new RegExp(`argument '${key}' contains a newline`));
      expect(msg).not.toMatch(/Sup3r|secret/);
    }
  });

  it("other arguments are still quoted, to find the line", () => {
    expect(refusal(user.validate!, { name: "ap\np" })).toMatch(/ap\\+np/);
  });
});
