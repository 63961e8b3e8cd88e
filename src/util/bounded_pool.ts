/**
 * The bounded pool: at most `concurrency` items in flight, a new one started as soon as any
 * running one finishes (not only when the oldest does), so one slow item (a big package) does
 * not leave the other slots idle. Two ways to use it:
 *
 * - `orderedPool` yields the results in input order (createrepo_c's "task on turn"); results
 *   that finish early wait, at most `concurrency * 8` of them, for their turn (package reads);
 * - `runPooled` runs items for their effects (checks, writes) and resolves when all are done;
 *   after a failure it starts no new item, waits for the running ones, and throws the failure.
 * @module
 */

/** Runs `fn` over `items` with at most `concurrency` in flight; yields results in input order. */
export async function* orderedPool<T, R>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const limit = Math.max(1, concurrency);
  const window = limit * 8; // started but not yet yielded
  const it = items[Symbol.iterator]();
  const started = new Map<number, Promise<R>>(); // by index, until yielded
  let launched = 0;
  let running = 0;
  let next = 0; // next index to yield
  let exhausted = false;
  const launch = () => {
    while (!exhausted && running < limit && launched - next < window) {
      const item = it.next();
      if (item.done) {
        exhausted = true;
        return;
      }
      const index = launched++;
      running++;
      const p = fn(item.value, index);
      started.set(index, p);
      p.catch(() => {}); // handled when awaited in order
      p.finally(() => {
        running--;
        launch();
      }).catch(() => {});
    }
  };
  try {
    launch();
    while (next < launched) {
      const result = await started.get(next)!;
      started.delete(next);
      next++;
      launch();
      yield result;
    }
  } finally {
    exhausted = true; // stop launching when the consumer leaves early
  }
}

/**
 * Runs `fn` over `items` with at most `concurrency` in flight, for its effects; resolves once all
 * are done. After a failure no new item starts; the ones running are waited for (nothing is left
 * running behind the caller's back), then the first failure is thrown.
 */
export async function runPooled<T>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  const it = items[Symbol.iterator]();
  let index = 0;
  let failed = false;
  const worker = async () => {
    while (!failed) {
      const item = it.next();
      if (item.done) return;
      try {
        await fn(item.value, index++);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, concurrency) }, worker),
  );
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
}
