// The error a call throws, for tests that assert on its class, code and message.

/** Calls fn and returns what it threw; fails the test when it returns normally. */
export function thrown<E = Error>(fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    return err as E;
  }
  throw new Error('expected the call to throw, and it returned');
}
