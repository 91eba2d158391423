/**
 * Test assertions (JSR's @std/assert is not reachable from these machines, so
 * the tests use this small set built on node:assert). Names and semantics follow
 * @std/assert so the tests read like Deno's own.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Assert that `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  if (!cond) throw new nodeAssert.AssertionError({ message: msg ?? "assertion failed" });
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (msg === undefined) nodeAssert.deepStrictEqual(actual, expected);
  else nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Deep strict inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (msg === undefined) nodeAssert.notDeepStrictEqual(actual, expected);
  else nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

/** |actual - expected| <= tolerance (default 1e-7). */
export function assertAlmostEquals(actual: number, expected: number, tolerance = 1e-7, msg?: string): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new nodeAssert.AssertionError({
      message: msg ??
        `expected ${actual} to be within ${tolerance} of ${expected} (diff ${Math.abs(actual - expected)})`,
    });
  }
}

/** Every element of two arrays within `tolerance`; reports the worst index. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  msg?: string,
): void {
  assertEquals(actual.length, expected.length, `${msg ?? "arrays"}: length differs`);
  let worst = -1, worstDiff = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worstDiff) || Number.isNaN(d)) {
      worst = i;
      worstDiff = Number.isNaN(d) ? Infinity : d;
    }
  }
  if (worstDiff > tolerance) {
    throw new nodeAssert.AssertionError({
      message: `${msg ?? "arrays"}: max |diff| ${worstDiff} at ${worst} (${actual[worst]} vs ${
        expected[worst]
      }) exceeds ${tolerance}`,
    });
  }
}

/** `fn` throws an error (of class `ErrorClass`, whose message includes `includes`). */
export function assertThrows(
  fn: () => unknown,
  ErrorClass: new (...args: never[]) => Error = Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (err) {
    checkError(err, ErrorClass, includes);
    return err as Error;
  }
  throw new nodeAssert.AssertionError({ message: "expected function to throw" });
}

/** The promise from `fn` rejects (with `ErrorClass`, message including `includes`). */
export async function assertRejects(
  fn: () => Promise<unknown>,
  ErrorClass: new (...args: never[]) => Error = Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    checkError(err, ErrorClass, includes);
    return err as Error;
  }
  throw new nodeAssert.AssertionError({ message: "expected promise to reject" });
}

function checkError(err: unknown, ErrorClass: new (...args: never[]) => Error, includes?: string): void {
  if (!(err instanceof ErrorClass)) {
    throw new nodeAssert.AssertionError({ message: `expected ${ErrorClass.name}, got ${String(err)}` });
  }
  if (includes !== undefined && !err.message.includes(includes)) {
    throw new nodeAssert.AssertionError({
      message: `expected error message to include ${JSON.stringify(includes)}, got ${JSON.stringify(err.message)}`,
    });
  }
}
