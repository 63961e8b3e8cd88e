import assert from "node:assert/strict";
import { MemoryBudget } from "../../../src/util/memory_budget.ts";

Deno.test("MemoryBudget grants in order, never above its limit, and runs oversized ones alone", async () => {
  const budget = new MemoryBudget(100);
  const order: string[] = [];
  const a = await budget.reserve(60);
  const waiting = [
    budget.reserve(50).then((r) => (order.push("b"), r)),
    budget.reserve(10).then((r) => (order.push("c"), r)), // fits, but waits behind b
    budget.reserve(500).then((r) => (order.push("big"), r)),
  ];
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, []);
  assert.equal(budget.used, 60);
  a();
  a(); // a second release changes nothing
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, ["b", "c"]);
  assert.equal(budget.used, 60);
  const [b, c, big] = [await waiting[0], await waiting[1], waiting[2]];
  b();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, ["b", "c"], "the oversized one waits until nothing is held");
  c();
  (await big)();
  assert.deepEqual(order, ["b", "c", "big"]);
  assert.equal(budget.used, 0);
});
