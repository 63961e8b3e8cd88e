/**
 * A full garbage collection where the runtime offers one: V8's `gc()`, which `--expose-gc` (in
 * mkrepo's V8 flags, `V8_FLAGS` in scripts/compile_plan.ts) makes global. Without the flag it
 * does nothing, and the run only peaks higher.
 *
 * For the end of a phase that leaves much garbage just before one that needs memory: V8 lets
 * its heap grow with the allocation rate and collects it in full only now and then, so the
 * heap and the native memory its dead objects hold (buffers, zlib handles) are still there when
 * the index encoders start. One collection after the packages are read: 50,000 tiny debs fresh
 * 277–279 → 248–251 MiB, one added 209–211 → 195 MiB, 10,000 fresh 173–174 → 166 MiB, in the
 * same time (docs/performance.md).
 * @module
 */

/**
 * Heap size below which a full collection frees too little to matter: 4,000 rpms one added (17
 * MiB of heap after the reading) peaked 2–5 MiB higher with it, not lower.
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
