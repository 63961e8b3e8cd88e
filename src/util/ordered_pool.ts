/**
 * Bounded-concurrency map that yields results in input order (createrepo_c's "task on turn").
 * A new item starts as soon as any running one finishes, not only when the oldest does, so one
 * slow item (a big package) does not leave the other slots idle; results that finish early
 * wait, at most `concurrency * 8` of them, for their turn.
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
