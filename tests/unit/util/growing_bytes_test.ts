/**
 * GrowingBytes: text (any UTF-8 width) and bytes come out in the order appended, the views it
 * returns hold what was appended even after the buffer grew, and finish() trims to the length.
 */
import assert from "node:assert/strict";
import { GrowingBytes } from "../../../src/util/growing_bytes.ts";

Deno.test("GrowingBytes keeps appended text and bytes in order, views stay valid as it grows", () => {
  const grow = new GrowingBytes();
  const parts: Uint8Array[] = [];
  const expected: number[] = [];
  for (let i = 0; i < 2000; i++) {
    if (i % 3 === 0) {
      const bytes = new Uint8Array(i % 700).fill(i % 251);
      parts.push(grow.append(bytes));
      expected.push(...bytes);
    } else {
      const text = `Package: p${i} ü € 𝄞\n`.repeat(i % 50);
      parts.push(grow.appendText(text));
      expected.push(...new TextEncoder().encode(text));
    }
  }
  assert.equal(grow.length, expected.length);
  // Each view still holds its own bytes after all the growth that followed it.
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), new Uint8Array(expected));
  const all = grow.finish();
  assert.equal(all.buffer.byteLength, expected.length, "trimmed to what was appended");
  assert.deepEqual(all, new Uint8Array(expected));
});
