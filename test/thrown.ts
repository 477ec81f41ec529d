// The error a synchronous call throws (undefined when it returns), for tests that inspect an
// error's class and fields rather than only its message.
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
