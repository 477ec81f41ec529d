// An expression error that says what to do instead (an unsupported filter, test or function) is
// marked on the error (ExprSyntaxError.advised), not recognised by a regex over its message text;
// such an error gets no generic syntax hint, any other syntax error does.
import { describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { ExprSyntaxError } from "../../../engine/template/errors.js";
import { checkExpr } from "../../../engine/template/index.js";
import { parseExpr } from "../../../engine/template/parse.js";
import { thrown } from "../../thrown.js";

const pos = { file: "site.yml", line: 3, col: 7 };

describe("ExprSyntaxError.advised", () => {
  it.each([
    ["x | random", /filter 'random' is not supported by keel/],
    ["'/etc' is directory", /test 'directory' looks at the controller's files/],
  ])("%s: the parser marks the error as carrying its own advice", (text, msg) => {
    const e = thrown(() => parseExpr(text));
    expect(e).toBeInstanceOf(ExprSyntaxError);
    expect((e as ExprSyntaxError).message).toMatch(msg);
    expect((e as ExprSyntaxError).advised).toBe(true);
  });

  it("a plain syntax error is not advised", () => {
    const e = thrown(() => parseExpr("x ==")) as ExprSyntaxError;
    expect(e).toBeInstanceOf(ExprSyntaxError);
    expect(e.advised).toBe(false);
  });

  it("a condition with an unsupported filter gets no generic hint; a plain syntax error does", () => {
    const advised = thrown(() => checkExpr({ text: "x | random", pos })) as InputError;
    expect(advised).toBeInstanceOf(InputError);
    expect(advised.hint).toBeUndefined();
    const plain = thrown(() => checkExpr({ text: "x ==", pos })) as InputError;
    expect(plain).toBeInstanceOf(InputError);
    expect(plain.hint).toMatch(/conditions use Jinja-like syntax/);
  });
});
