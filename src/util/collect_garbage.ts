/**
 * A full garbage collection where the runtime offers one: V8's `gc()`, which `--expose-gc` (in
 * mkrepo's V8 flags, `V8_FLAGS` in scripts/compile_plan.ts) makes global. Without the flag it
 * does nothing, and the run only peaks higher.
 *
 * For the end of a phase that leaves much garbage just before one that needs memory: V8 lets
 * its heap grow with the allocation rate and collects it in full only now and then, so the
 * heap and the native memory its dead objects hold (buffers, zlib handles) are still there when
 * the index encoders start. One collection after the packages are read: 50,000 tiny debs fresh
 * 264–271 → 243–248 MiB, one added 199–200 → 189 MiB, in the same time (docs/performance.md).
 * @module
 */

/**
 * Heap size below which a full collection is not worth its pause: such a heap holds little
 * garbage (4,000 rpms one added, 17 MiB after the reading, and 1,000 real-size debs, 21 MiB,
 * peaked the same with and without one).
 */
const WORTH_COLLECTING = 32 * 1024 * 1024;

/**
 * Collects garbage now if the runtime allows it (see the module doc) and the heap is large
 * enough for it to matter; else nothing.
 */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc && Deno.memoryUsage().heapTotal >= WORTH_COLLECTING) gc();
}
