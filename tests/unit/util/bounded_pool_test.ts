import assert from "node:assert/strict";
import { runPooled } from "../../../src/util/bounded_pool.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("runPooled() bounds concurrency and does not wait on a slow item", async () => {
  let running = 0;
  let peak = 0;
  const finished: number[] = [];
  const delays = [60, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  await runPooled(delays, 3, async (ms, i) => {
    peak = Math.max(peak, ++running);
    await tick(ms);
    running--;
    finished.push(i);
  });
  assert.equal(finished.length, delays.length);
  assert.equal(finished.at(-1), 0, "the slow first item held up the others");
  assert.ok(peak <= 3);
});

Deno.test("runPooled() starts nothing after a failure, waits for the running items, throws", async () => {
  const started: number[] = [];
  let running = 0;
  await assert.rejects(
    runPooled([0, 1, 2, 3, 4, 5, 6, 7], 2, async (i) => {
      started.push(i);
      running++;
      await tick(i === 1 ? 5 : 20);
      running--;
      if (i === 1) throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(running, 0, "an item was still running when runPooled() threw");
  assert.deepEqual(started, [0, 1]);
});
