// `npm run bench -- [--sizes 20,50,100,200,500] [--ansible-max 50] [--docs] …`: keel, Ansible and the
// ssh2 floor over a curve of fleet sizes (test/bench/curve.ts, which documents every option).
// Other benchmarks: test/bench/scale.ts (the shipped baseline at scale), baseline.ts, audit-scale.ts.
import { main } from "./curve.js";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).message.startsWith("usage:") ? (e as Error).message : ((e as Error).stack ?? String(e))}\n`);
    process.exit(1);
  },
);
