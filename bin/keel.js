#!/usr/bin/env node
import { statSync } from "node:fs";

// dist/keel.mjs (engine/cli/bundle.ts, written by `npm run build`) starts faster than the module
// tree; it is used only while it is at least as new as the tree's entry, so a later plain `tsc`
// build is never shadowed by a stale bundle.
const tree = new URL("../dist/engine/cli/main.js", import.meta.url);
const bundled = new URL("../dist/keel.mjs", import.meta.url);
function fresh() {
  try {
    return statSync(bundled).mtimeMs >= statSync(tree).mtimeMs;
  } catch {
    return false;
  }
}
const { main } = await import(fresh() ? bundled.href : tree.href);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // A host dropped at its deadline (--host-timeout) can leave a socket whose peer never answers the
  // close: once the work is done and the output written, it must not keep keel running.
  setTimeout(() => process.exit(code), 3000).unref();
});
