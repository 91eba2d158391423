/**
 * A concurrency limiter: at most `limit` async jobs run at once, the others
 * wait in FIFO order. Used by the VLM client so a batch never opens more than
 * the configured number of HTTP requests.
 *
 * @module
 */

/** Runs async jobs with at most `limit` in flight. */
export class ConcurrencyLimiter {
  /** Jobs allowed in flight at once. */
  readonly limit: number;
  #active = 0;
  #waiting: (() => void)[] = [];

  /**
   * Create a limiter.
   *
   * @param limit jobs allowed in flight at once (integer >= 1)
   */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new Error(`ConcurrencyLimiter: limit must be an integer >= 1, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Jobs currently running. */
  get active(): number {
    return this.#active;
  }

  /**
   * Run `job` when a slot is free; resolves or rejects with the job's result.
   *
   * @example
   * ```ts
   * import { ConcurrencyLimiter } from "./limiter.ts";
   * const lim = new ConcurrencyLimiter(2);
   * const out = await Promise.all([1, 2, 3].map((x) => lim.run(async () => x * 2)));
   * if (out.join() !== "2,4,6") throw new Error(String(out));
   * ```
   */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // hand the slot over without releasing it
      else this.#active--;
    }
  }
}
