#!/usr/bin/env node
import { main } from "../dist/engine/cli/main.js";
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // A host dropped at its deadline (--host-timeout) can leave a socket whose peer never answers the
  // close: once the work is done and the output written, it must not keep keel running.
  setTimeout(() => process.exit(code), 3000).unref();
});
