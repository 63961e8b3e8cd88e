/**
 * publishedParagraphs(): paragraphs of a published index read again by place — forward in one
 * pass, in any order once asked for an earlier one, and a conflict (the run starts over) when
 * the index changed since the run listed it or no longer has the paragraph.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MkrepoError } from "../../../src/errors.ts";
import { createFsStorage } from "../../../src/storage/fs_storage.ts";
import { publishedParagraphs } from "../../../src/repo/published_paragraphs.ts";

const KEY = "dists/stable/main/binary-amd64/Packages";
// Long enough to be decoded in several 32 KiB slices, with a two-byte character across the
// first edge (checked below).
const texts = Array.from(
  { length: 400 },
  (_, i) =>
    `Package: p${i}\nDescription: ${"é".repeat(40 + (i % 13))} ${"x".repeat((i * 7 + 7) % 97)}`,
);
const bytes = new TextEncoder().encode(texts.join("\n\n") + "\n\n");

async function withIndex(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "dists/stable/main/binary-amd64"), { recursive: true });
    await Deno.writeFile(join(dir, KEY), bytes);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listed(dir: string) {
  const storage = createFsStorage(dir);
  return {
    storage,
    objects: new Map((await Array.fromAsync(storage.list(""))).map((o) => [o.key, o])),
  };
}

Deno.test("publishedParagraphs() gives paragraphs by number, forward and back", async () => {
  assert.ok(bytes[32 * 1024] >= 0x80 && bytes[32 * 1024] < 0xc0, "a character across the edge");
  await withIndex(async (dir) => {
    const { storage, objects } = await listed(dir);
    const reading = publishedParagraphs(storage, objects).open();
    try {
      const place = (ordinal: number) => ({ file: KEY, ordinal, body: 0 });
      for (const i of [0, 1, 7, 150, 151, 399]) {
        assert.equal(await reading.take(place(i)), texts[i]);
      }
      // A step back (an index not in the writer's order): read whole, any order from then on.
      for (const i of [3, 398, 0, 200]) assert.equal(await reading.take(place(i)), texts[i]);
    } finally {
      await reading.close();
    }
  });
});

Deno.test("publishedParagraphs() reports a conflict when the index changed or lacks the paragraph", async () => {
  await withIndex(async (dir) => {
    const { storage, objects } = await listed(dir);
    const missing = publishedParagraphs(storage, objects).open();
    try {
      await assert.rejects(
        () => missing.take({ file: KEY, ordinal: 400, body: 0 }),
        (err: unknown) => err instanceof MkrepoError && err.code === "conflict",
      );
    } finally {
      await missing.close();
    }
    // Another run replaces the index after this one listed it.
    await Deno.writeTextFile(join(dir, KEY), texts.slice(1).join("\n\n") + "\n\n");
    const changed = publishedParagraphs(storage, objects).open();
    try {
      await assert.rejects(
        () => changed.take({ file: KEY, ordinal: 0, body: 0 }),
        (err: unknown) =>
          err instanceof MkrepoError && err.code === "conflict" && /changed/.test(err.reason ?? ""),
      );
    } finally {
      await changed.close();
    }
  });
});
