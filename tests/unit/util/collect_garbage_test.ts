import assert from "node:assert/strict";
import { collectGarbage } from "../../../src/util/collect_garbage.ts";

type WithGc = { gc?: () => void };

Deno.test("collectGarbage() runs the runtime's collection when the heap is large, and is harmless without one", () => {
  const scope = globalThis as WithGc;
  const saved = scope.gc;
  try {
    scope.gc = undefined;
    collectGarbage(); // no --expose-gc: nothing to call, nothing thrown

    let calls = 0;
    scope.gc = () => calls++;
    // 48 MB of doubles held while asking: the heap is past the size worth collecting.
    const held = new Array(6_000_000).fill(0.5);
    collectGarbage();
    assert.equal(calls, 1, `heap ${Deno.memoryUsage().heapTotal} bytes, no collection asked`);
    assert.equal(held.length, 6_000_000);
  } finally {
    scope.gc = saved;
  }
});
