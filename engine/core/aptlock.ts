// apt/dpkg lock failures, shared by the package and patch modules (modules depend only on core).

/** Turns apt's lock messages into one clear sentence, or undefined when the failure is not about the lock. */
export function lockError(output: string, lockTimeout: number): string | undefined {
  const held = /Could not get lock (\S+?)\.? It is held by process (\d+)(?: \(([^)]+)\))?/.exec(output);
  if (held) {
    const who = held[3] ? `process ${held[2]} (${held[3]})` : `process ${held[2]}`;
    return `dpkg lock ${held[1]} still held by ${who} after waiting ${lockTimeout} s; wait for it to finish or raise lock_timeout`;
  }
  const frontend = /Unable to acquire the dpkg frontend lock \(([^)]+)\)|Could not get lock (\S+)/.exec(output);
  if (frontend)
    return `dpkg lock ${frontend[1] ?? frontend[2]} still held after waiting ${lockTimeout} s; wait for the other package manager to finish or raise lock_timeout`;
  return undefined;
}
