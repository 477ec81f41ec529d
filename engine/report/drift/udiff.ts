// Unified diff text for file content changes (the `diff` package).
import { createTwoFilesPatch } from "diff";

export function unifiedDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`${path} (host)`, `${path} (desired)`, before, after, undefined, undefined, { context: 3 })
    .split("\n")
    .filter((l) => !l.startsWith("====="))
    .join("\n");
}
