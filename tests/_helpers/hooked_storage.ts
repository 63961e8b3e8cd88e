/**
 * A storage that runs a hook once, at a chosen operation of a run (after its listing, before or
 * after a write), to force an interleaving of two runs at library level.
 * @module
 */
import type { Storage, WriteOptions } from "../../src/storage/storage.ts";

/** A storage that runs `hook` once, at the first operation `at` matches. */
export function hooked(
  inner: Storage,
  at: (op: string, key: string) => boolean,
  hook: () => Promise<void>,
): Storage & { fired: boolean } {
  const out = {
    fired: false,
    async fire(op: string, key: string) {
      if (out.fired || !at(op, key)) return;
      out.fired = true;
      await hook();
    },
    async *list(prefix: string) {
      yield* inner.list(prefix);
      await out.fire("listed", prefix);
    },
    stat: (k: string) => inner.stat(k),
    read: (k: string, r?: { start: number; end?: number }) => inner.read(k, r),
    remove: (k: string) => inner.remove(k),
    describe: (k: string) => inner.describe(k),
    async write(key: string, body: Parameters<Storage["write"]>[1], options?: WriteOptions) {
      await out.fire("writing", key);
      const r = await inner.write(key, body, options);
      await out.fire("wrote", key);
      return r;
    },
  };
  return out;
}
