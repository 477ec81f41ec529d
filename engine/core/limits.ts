// Bounds on what keel accepts as input, so that a hostile or broken playbook, inventory or
// template fails with a clear error instead of exhausting memory, the stack or the CPU. Each bound
// has a default that real playbooks stay far below, and an environment variable to raise it;
// every error that a bound causes names the variable (see limitHint).
import { InputError } from "./errors.js";

export interface Limit {
  /** Environment variable that overrides the default. */
  env: string;
  default: number;
  /** What is counted, for messages: "bytes in one YAML file". */
  what: string;
}

export const LIMITS = {
  /** Size of one YAML/INI file read by the playbook or inventory loaders. */
  fileBytes: { env: "KEEL_MAX_FILE_BYTES", default: 16 * 1024 * 1024, what: "bytes in one input file" },
  /** Total size of every YAML/INI file one keel process loads (playbook, roles, vars, inventory). */
  totalBytes: { env: "KEEL_MAX_LOAD_BYTES", default: 128 * 1024 * 1024, what: "bytes of input files in total" },
  /** Nodes that YAML aliases add when they are expanded (billion laughs). */
  aliasNodes: { env: "KEEL_MAX_YAML_ALIAS_NODES", default: 1_000_000, what: "nodes added by YAML aliases in one file" },
  /** Nesting depth of YAML collections, after alias expansion. */
  yamlDepth: { env: "KEEL_MAX_YAML_DEPTH", default: 200, what: "levels of YAML nesting" },
  /** Hosts one INI/YAML host range (`web[1:100]`) may expand to. */
  rangeHosts: { env: "KEEL_MAX_RANGE_HOSTS", default: 100_000, what: "hosts in one host range" },
  /** Characters one template rendering may produce (string repetition, loops). */
  templateOutput: { env: "KEEL_MAX_TEMPLATE_OUTPUT", default: 64 * 1024 * 1024, what: "characters produced by one template" },
  /** Loop iterations one template rendering may run, all `{% for %}` loops counted together. */
  templateIterations: { env: "KEEL_MAX_TEMPLATE_ITERATIONS", default: 1_000_000, what: "loop iterations in one template" },
} satisfies Record<string, Limit>;

/** The bound in force: the environment variable when it is a positive integer, else the default. */
export function limitOf(l: Limit): number {
  const raw = process.env[l.env];
  if (raw === undefined || raw === "") return l.default;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InputError(`${l.env}=${raw} is not a positive integer`, undefined, `unset ${l.env} to use the default (${l.default})`);
  }
  return n;
}

/** "the limit is N <what> (raise it with KEEL_…=M)" for an error message's hint. */
export function limitHint(l: Limit): string {
  const n = limitOf(l);
  return `the limit is ${n} ${l.what}; if the input is legitimate, raise it with the environment variable ${l.env}=${n * 4}`;
}

// Bytes loaded so far by this process (each keel command is one process).
let loadedBytes = 0;

/** Count a file's size against the per-file and total bounds; throws an InputError naming the bound. */
export function chargeLoad(file: string, bytes: number): void {
  if (bytes > limitOf(LIMITS.fileBytes)) {
    throw new InputError(`${file} is too large to load (${bytes} bytes)`, { file, line: 1, col: 1 }, limitHint(LIMITS.fileBytes));
  }
  loadedBytes += bytes;
  if (loadedBytes > limitOf(LIMITS.totalBytes)) {
    throw new InputError(`loading ${file} brings the input files to ${loadedBytes} bytes`, { file, line: 1, col: 1 }, limitHint(LIMITS.totalBytes));
  }
}

/** For tests that load many files in one process. */
export function resetLoadCharge(): void {
  loadedBytes = 0;
}
