/**
 * readSource() over local disk: a file up to SMALL_SOURCE is read whole at once (no stream), a
 * larger one or a range is streamed, a missing one is "not-found" as with read(). The readers
 * and hashStream() give the same records, digests and errors from bytes read at once as from
 * the stream of the same file.
 */
import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import { FsStorage } from "../../../src/storage/fs_storage.ts";
import { readSource, SMALL_SOURCE, type Storage } from "../../../src/storage/storage.ts";
import { readDeb } from "../../../src/reader/deb/read_deb.ts";
import { readRpm } from "../../../src/reader/rpm/read_rpm.ts";
import { hashStream } from "../../../src/reader/hashing.ts";
import type { ByteSource } from "../../../src/util/byte_source.ts";
import { fixtureNames, FIXTURES } from "../../_helpers/fixtures.ts";

async function bytesOf(source: ByteSource): Promise<Uint8Array> {
  return source.bytes ?? new Uint8Array(await new Response(source.stream).arrayBuffer());
}

Deno.test("readSource() reads a small local file at once, streams a large one or a range", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const small = crypto.getRandomValues(new Uint8Array(1000));
    const large = new Uint8Array(SMALL_SOURCE + 1).fill(7);
    await Deno.writeFile(`${dir}/small.bin`, small);
    await Deno.writeFile(`${dir}/large.bin`, large);
    const storage = new FsStorage(dir);

    const whole = await readSource(storage, "small.bin");
    assert.ok(whole.bytes, "a small file is not read at once");
    assert.deepEqual(whole.bytes, small);
    assert.equal(whole.file?.path, `${dir}/small.bin`);

    const streamed = await readSource(storage, "large.bin");
    assert.ok(streamed.stream, "a large file is not streamed");
    assert.deepEqual(await bytesOf(streamed), large);

    // The listed size spares opening a large file to see whether it is small; a stale one
    // still reads the file's bytes.
    let smallReads = 0;
    const counted: Storage = {
      list: (prefix) => storage.list(prefix),
      stat: (key) => storage.stat(key),
      read: (key, range) => storage.read(key, range),
      write: (key, body, options) => storage.write(key, body, options),
      remove: (key) => storage.remove(key),
      describe: (key) => storage.describe(key),
      localFile: (key, range) => storage.localFile(key, range),
      readSmall: (key, max) => (smallReads++, storage.readSmall(key, max)),
    };
    const hinted = await readSource(counted, "large.bin", { size: large.length });
    assert.equal(smallReads, 0, "a file listed as large was opened to see whether it is small");
    assert.deepEqual(await bytesOf(hinted), large);
    const stale = await readSource(counted, "small.bin", { size: SMALL_SOURCE + 1 });
    assert.deepEqual(await bytesOf(stale), small);
    const staleSmall = await readSource(counted, "large.bin", { size: 10 });
    assert.equal(smallReads, 1);
    assert.deepEqual(await bytesOf(staleSmall), large);

    const range = await readSource(storage, "small.bin", { range: { start: 10, end: 20 } });
    assert.ok(range.stream, "a range is not streamed");
    assert.deepEqual(await bytesOf(range), small.subarray(10, 20));

    await assert.rejects(
      readSource(storage, "missing.bin"),
      (e) => e instanceof MkrepoError && e.code === "not-found",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The same file as a plain stream, without the local file behind it. */
async function streamOf(key: string): Promise<ReadableStream<Uint8Array>> {
  return (await Deno.open(FIXTURES + key)).readable;
}

/** The record, or the error message, of a read. */
function outcome<T>(read: Promise<T>): Promise<T | string> {
  return read.catch((e) => `error: ${e instanceof Error ? e.message : e}`);
}

Deno.test("readDeb(), readRpm() and hashStream() give the same from bytes read at once as from a stream", async () => {
  const storage = new FsStorage(FIXTURES);
  const debs = fixtureNames("deb", (n) => /\.(deb|udeb|ddeb)$/.test(n)).map((n) => `deb/${n}`);
  const rpms = fixtureNames("rpm", (n) => n.endsWith(".rpm")).map((n) => `rpm/${n}`);
  const bad = fixtureNames("bad", (n) => /\.(deb|rpm)$/.test(n)).map((n) => `bad/${n}`);
  let atOnce = 0;
  for (const key of [...debs, ...rpms, ...bad]) {
    const source = await readSource(storage, key);
    if (source.bytes) atOnce++;
    const read = (input: ByteSource | ReadableStream<Uint8Array>): Promise<unknown> =>
      key.endsWith(".rpm") ? readRpm(input, { key, mtime: 1 }) : readDeb(input, { key, mtime: 1 });
    assert.deepEqual(await outcome(read(source)), await outcome(read(await streamOf(key))), key);
    assert.deepEqual(
      await hashStream(await readSource(storage, key), ["md5", "sha256"]),
      await hashStream(await streamOf(key), ["md5", "sha256"]),
      key,
    );
  }
  assert.ok(atOnce >= 5, `only ${atOnce} fixtures were read at once`);
});
