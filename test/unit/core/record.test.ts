import { describe, expect, it } from "vitest";
import { allRecs, findRec, parseRecords } from "../../../engine/core/record.js";
import { ProbeParseError } from "../../../engine/core/errors.js";

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

describe("parseRecords", () => {
  it("reads records, raw and base64 fields, and ignores blank lines", () => {
    const out = `@stat dest\nexists=1\nmode=0644\n\n@file cfg\ncontent:b64=${b64("a\nb\0c\n")}\nempty=\nempty64:b64=\n`;
    const recs = parseRecords(out);
    expect(recs.map((r) => [r.kind, r.id])).toEqual([
      ["stat", "dest"],
      ["file", "cfg"],
    ]);
    const f = recs[1]!;
    expect(f.get("content")).toBe("a\nb\0c\n");
    expect(f.buf("content")).toEqual(Buffer.from("a\nb\0c\n"));
    expect(f.fields.content).toBe(b64("a\nb\0c\n"));
    expect(f.get("empty")).toBe("");
    expect(f.get("empty64")).toBe("");
    expect(f.has("empty64")).toBe(true);
    expect(f.has("missing")).toBe(false);
    expect(f.get("missing")).toBeUndefined();
    expect(f.buf("missing")).toBeUndefined();
  });

  it("keeps everything after the first = of a raw value, including = and spaces", () => {
    const r = parseRecords("@getent u\nentry=a=b c:d \n")[0]!;
    expect(r.get("entry")).toBe("a=b c:d ");
    expect(r.buf("entry")).toEqual(Buffer.from("a=b c:d "));
  });

  it("keeps arbitrary bytes of a base64 field", () => {
    const bytes = Buffer.from([0, 255, 10, 13, 0, 128]);
    const r = parseRecords(`@file x\ncontent:b64=${bytes.toString("base64")}`)[0]!;
    expect(r.buf("content")).toEqual(bytes);
  });

  it("gives an empty id when the record has none, and finds by kind and id", () => {
    const recs = parseRecords("@facts\nos=debian\n@stat a\nexists=0\n@stat b\nexists=1\n@stat\nexists=1\n");
    expect(recs[0]!.id).toBe("");
    expect(findRec(recs, "facts")!.get("os")).toBe("debian");
    expect(findRec(recs, "stat", "b")!.int("exists")).toBe(1);
    expect(findRec(recs, "stat")!.id).toBe("a");
    expect(findRec(recs, "stat", "")!.id).toBe("");
    expect(findRec(recs, "stat", "c")).toBeUndefined();
    expect(allRecs(recs, "stat").map((r) => r.id)).toEqual(["a", "b", ""]);
    expect(allRecs(recs, "none")).toEqual([]);
  });

  it("reads integers and refuses a field that is not one", () => {
    const r = parseRecords("@cmd c\nrc=-1\nuid=1001\nbad=12a\n")[0]!;
    expect(r.int("rc")).toBe(-1);
    expect(r.int("uid")).toBe(1001);
    expect(r.int("nope")).toBeUndefined();
    expect(() => r.int("bad")).toThrow(ProbeParseError);
  });

  it("returns no records for empty output", () => {
    expect(parseRecords("")).toEqual([]);
    expect(parseRecords("\n\n")).toEqual([]);
  });

  it.each([
    ["a field before any record", "exists=1\n", 1],
    ["a line that is neither", "@stat a\nhello world\n", 2],
    ["a bad kind", "@st at/x\n", 1],
    ["an empty kind", "@\n", 1],
    ["an empty id after a space", "@stat \n", 1],
    ["two ids", "@stat a b\n", 1],
    ["a bad key", "@stat a\nmo de=1\n", 2],
    ["an empty key", "@stat a\n=1\n", 2],
    ["invalid base64", "@file a\ncontent:b64=abc\n", 2],
    ["base64 with a space", "@file a\ncontent:b64=YW Jj\n", 2],
    ["base64 padding in the middle", "@file a\ncontent:b64=YQ==YQ==\n", 2],
    ["base64 with three padding characters", "@file a\ncontent:b64=Y===\n", 2],
    ["base64 of padding alone", "@file a\ncontent:b64====\n", 2],
    ["a key given twice", "@stat a\nmode=1\nmode=2\n", 3],
    ["a key given twice, once as base64", "@stat a\nmode=1\nmode:b64=YQ==\n", 3],
    ["a carriage return line", "@stat a\n\r\n", 2],
  ])("refuses %s, naming the line", (_why, out, line) => {
    let err: unknown;
    try {
      parseRecords(out);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as ProbeParseError).line).toBe(line);
    expect((err as Error).message).toContain(`line ${line}`);
  });

  it("refuses a raw value whose key ends in :b64 but is not base64, and a field prototype name is harmless", () => {
    expect(() => parseRecords("@x\nconstructor:b64=!!\n")).toThrow(ProbeParseError);
    const r = parseRecords("@x\nconstructor=1\n")[0]!;
    expect(r.get("constructor")).toBe("1");
    expect(r.has("toString")).toBe(false);
  });
});
