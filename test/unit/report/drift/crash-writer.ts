// Opens the history store and dies with SIGKILL in the middle of recording a large run.
import { HistoryStore } from "../../../../engine/report/drift/history.js";
import { buildDriftReport } from "../../../../engine/report/drift/model.js";
import { sampleEvents } from "./events.js";

const store = new HistoryStore(process.argv[2]!);
const base = buildDriftReport(sampleEvents(), { playbook: "playbooks/baseline.yml" });
const web1 = base.hosts[0]!;
const many = Array.from({ length: 200_000 }, (_, i) => ({ ...web1.items[0]!, key: `k${i}` }));
let n = 0;
// Kill ourselves from inside the transaction, after some rows were written.
const origStringify = JSON.stringify;
JSON.stringify = ((v: unknown, ...rest: unknown[]) => {
  if (++n === 5000) process.kill(process.pid, "SIGKILL");
  return origStringify(v, ...(rest as []));
}) as typeof JSON.stringify;
store.record({ ...base, hosts: [{ ...web1, items: many }] });
