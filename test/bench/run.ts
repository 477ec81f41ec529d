// `npm run bench -- [--hosts N] [--order keel,ansible]`: the keel-against-Ansible benchmark
// (test/bench/ansible.ts). The baseline-only benchmark is `node dist/test/bench/baseline.js [N]`.
import { main } from "./ansible.js";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
