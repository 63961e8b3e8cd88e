/**
 * Bounded-concurrency map that yields results in input order (createrepo_c's "task on turn").
 * @module
 */

/** Runs `fn` over `items` with at most `concurrency` in flight; yields results in input order. */
export async function* orderedPool<T, R>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const it = items[Symbol.iterator]();
  const inflight: Promise<R>[] = [];
  let index = 0;
  const launch = () => {
    const next = it.next();
    if (next.done) return false;
    const p = fn(next.value, index++);
    p.catch(() => {}); // handled when awaited in order
    inflight.push(p);
    return true;
  };
  while (inflight.length < Math.max(1, concurrency) && launch());
  while (inflight.length > 0) {
    const result = await inflight.shift()!;
    launch();
    yield result;
  }
}
