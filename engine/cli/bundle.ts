// `npm run build` bundles keel's CLI into one file, dist/keel.mjs (esbuild), after tsc: Node then
// reads, resolves and compiles one module instead of ~300 files of keel plus its dependencies'
// ~250, which was most of keel's start-up (measured: `keel --version` 0.63 s of CPU from the
// module tree, 0.26 s from the bundle). bin/keel.js runs the bundle only while it is at least as
// new as dist/engine/cli/main.js, so a plain `tsc` (as the test setup runs) is never shadowed by a
// stale bundle. Native and binding-loading packages stay outside (loaded from node_modules).
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../core/paths.js";
import { MODULES } from "../../modules/index.js";
import { validatorsDir, writeValidators } from "../playbook/validators.js";

/** Packages loaded from node_modules at run time: native addons, and ssh2 (which finds its own optional binding). */
export const BUNDLE_EXTERNAL = ["better-sqlite3", "cpu-features", "ssh2"];

export function bundlePaths(root = packageRoot()): { entry: string; out: string } {
  return { entry: join(root, "dist/engine/cli/main.js"), out: join(root, "dist/keel.mjs") };
}

/**
 * Writes dist/keel.mjs (or `out`: keep it inside the package, where node_modules resolves) from the
 * compiled dist/engine/cli/main.js; returns its size in bytes.
 */
export async function bundle(root = packageRoot(), out = bundlePaths(root).out): Promise<number> {
  const { entry } = bundlePaths(root);
  const result = await build({
    entryPoints: [entry],
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: BUNDLE_EXTERNAL,
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __keelCreateRequire } from 'node:module'; const require = __keelCreateRequire(import.meta.url);" },
    logLevel: "warning",
  });
  const text = asciiOnly(result.outputFiles[0]!.text);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  return Buffer.byteLength(text);
}

/**
 * The bundle in ASCII. esbuild escapes every non-ASCII character of the code (its default
 * charset), but keeps comments as written, and one "…" in a comment made Node decode the 3.4 MiB
 * file as UTF-8 and V8 hold and scan it as a two-byte string: 256 against 113 ms per decode
 * (TextDecoder on the file, load 27). A \uXXXX escape (UTF-16 units, so astral characters become
 * a surrogate pair) means the same character in a string, template or regular expression as well.
 */
export function asciiOnly(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // and the module argument validators, compiled ahead of time (engine/playbook/validators.ts)
  bundle().then(
    (size) => {
      process.stdout.write(`bundled ${bundlePaths().out} (${(size / 2 ** 20).toFixed(1)} MiB)\n`);
      process.stdout.write(`precompiled ${writeValidators(MODULES)} module validators in ${validatorsDir()}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`bundle: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
