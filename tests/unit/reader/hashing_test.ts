import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { MkrepoError } from "../../../src/errors.ts";
import { ByteReader } from "../../../src/reader/byte_reader.ts";
import {
  hashPoolStats,
  hashStream,
  packageHasher,
  setHashWorkers,
  stopHashWorkers,
} from "../../../src/reader/hashing.ts";
import { orderedPool } from "../../../src/util/bounded_pool.ts";

const MIB = 1024 * 1024;

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const hex = (alg: string, data: Uint8Array) => createHash(alg).update(data).digest("hex");

/** Each hasher's digests are those of its input (md5 and sha256, with the size). */
async function assertDigests(
  hashers: ReturnType<typeof packageHasher>[],
  inputs: Uint8Array[],
): Promise<void> {
  const sums = await Promise.all(hashers.map((h) => h.digest()));
  for (const [i, data] of inputs.entries()) {
    assert.deepEqual(sums[i], {
      size: data.length,
      md5: hex("md5", data),
      sha256: hex("sha256", data),
    });
  }
}

/** A byte stream (owned chunks) or a plain one, cutting `data` at the given sizes. */
function streamOf(data: Uint8Array, sizes: number[], byteStream: boolean) {
  let at = 0;
  let i = 0;
  const next = () => {
    const n = Math.min(sizes[i++ % sizes.length], data.length - at);
    const chunk = data.slice(at, at + n);
    at += n;
    return chunk;
  };
  if (!byteStream) {
    return new ReadableStream<Uint8Array>({
      pull: (c) => at < data.length ? c.enqueue(next()) : c.close(),
    });
  }
  return new ReadableStream<Uint8Array>({
    type: "bytes",
    pull: (c) => at < data.length ? c.enqueue(next()) : c.close(),
  }) as ReadableStream<Uint8Array>;
}

/** Lets the idle pool stop its workers before the test ends. */
const settle = () => new Promise((r) => setTimeout(r, 120));

/** A hasher past the size hashed in place (so that it is a pool job). */
function bigJob(): ReturnType<typeof packageHasher> {
  const hasher = packageHasher(["md5"]);
  void hasher.update(new Uint8Array(128 * 1024));
  return hasher;
}

/**
 * Starts the pool (two jobs handed a local file range, kept open) and waits until new jobs go
 * to a worker.
 */
async function warmPool(): Promise<() => void> {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, bytes(1000, 9));
  const holders = [packageHasher(["md5"], true), packageHasher(["md5"], true)];
  for (const h of holders) await h.updateFromFile(path, 0);
  await Deno.remove(path);
  // up to a minute: on a loaded machine the first worker can take long to start
  for (let i = 0; i < 1200; i++) {
    const before = hashPoolStats.remoteJobs;
    const probe = bigJob();
    probe.abort();
    if (hashPoolStats.remoteJobs > before) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return () => holders.forEach((h) => h.abort());
}

Deno.test("packageHasher() gives the same digests on workers as in place, chunks of any size", async () => {
  setHashWorkers(2);
  const release = await warmPool();
  try {
    const inputs = [0, 1, 1000, 3 * MIB + 17, 9 * MIB].map((n, i) => bytes(n, i + 1));
    const before = hashPoolStats.remoteJobs;
    // Many jobs at once: the pool starts, later jobs go to workers.
    for (let round = 0; round < 3; round++) {
      await Promise.all(inputs.map(async (data, i) => {
        const hasher = packageHasher(["md5", "sha256"]);
        const owned = (i + round) % 2 === 0;
        const sizes = [100, 64 * 1024, 300 * 1024, MIB + 3];
        let at = 0;
        for (let k = 0; at < data.length; k++) {
          const n = Math.min(sizes[k % sizes.length], data.length - at);
          const wait = hasher.update(data.slice(at, at + n), owned);
          at += n;
          if (wait) await wait;
        }
        const sums = await hasher.digest();
        assert.deepEqual(sums, {
          size: data.length,
          md5: hex("md5", data),
          sha256: hex("sha256", data),
        });
      }));
    }
    assert.ok(hashPoolStats.remoteJobs > before, "no job ran on a worker");
  } finally {
    release();
    setHashWorkers(undefined);
    await settle();
  }
});

Deno.test("packageHasher() hashes tiny packages in place, many at once, without starting workers", async () => {
  setHashWorkers(2);
  try {
    const starts = hashPoolStats.workerStarts;
    const local = hashPoolStats.localJobs;
    const inputs = Array.from({ length: 50 }, (_, i) => bytes(700 + i, i + 11));
    const hashers = inputs.map(() => packageHasher(["md5", "sha256"]));
    // All open at once, fed in pieces, some owned (and reused by the caller afterwards).
    for (const [i, data] of inputs.entries()) {
      const piece = data.slice(0, 300);
      await hashers[i].update(piece, true);
      piece.fill(0);
      await hashers[i].update(data.subarray(300), false);
    }
    await assertDigests(hashers, inputs);
    assert.equal(hashPoolStats.workerStarts, starts);
    assert.equal(hashPoolStats.localJobs, local + inputs.length);
  } finally {
    setHashWorkers(undefined);
    await settle();
  }
});

Deno.test("packageHasher() hashes streamed packages in place: only a file range starts workers", async () => {
  setHashWorkers(2);
  try {
    const starts = hashPoolStats.workerStarts;
    const remote = hashPoolStats.remoteJobs;
    // As from S3: several large packages at once, all of their bytes streamed.
    const inputs = Array.from({ length: 4 }, (_, i) => bytes(3 * MIB + i, i + 21));
    const hashers = inputs.map(() => packageHasher(["md5", "sha256"]));
    for (const [i, data] of inputs.entries()) {
      for (let at = 0; at < data.length; at += MIB) {
        await hashers[i].update(data.slice(at, at + MIB), true);
      }
    }
    await assertDigests(hashers, inputs);
    assert.equal(hashPoolStats.workerStarts, starts);
    assert.equal(hashPoolStats.remoteJobs, remote);
  } finally {
    setHashWorkers(undefined);
    await settle();
  }
});

/**
 * Hashes a local package of about 3 MiB as a local read does, and checks its digests: the header
 * streamed (a first chunk past the size hashed in place), the payload handed over as a file
 * range.
 */
async function hashLocalPackage(dir: string, i: number): Promise<void> {
  const data = bytes(3 * MIB + i, i + 31);
  const path = `${dir}/${i}.pkg`;
  await Deno.writeFile(path, data);
  const hasher = packageHasher(["md5", "sha256"], true);
  await hasher.update(data.slice(0, 128 * 1024), true);
  await hasher.updateFromFile(path, 128 * 1024);
  await assertDigests([hasher], [data]);
}

Deno.test("packageHasher() starts the workers for packages read from local files one by one", async () => {
  setHashWorkers(2);
  const dir = await Deno.makeTempDir();
  try {
    const starts = hashPoolStats.workerStarts;
    // Each package is finished before the next.
    for (let i = 0; i < 3; i++) await hashLocalPackage(dir, i);
    assert.ok(hashPoolStats.workerStarts > starts, "the workers never started");
  } finally {
    setHashWorkers(undefined);
    await settle();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("packageHasher() jobs begun while the workers first start wait for them, not hash in place", async () => {
  // A fresh process: in this one a worker has started already (then jobs never wait).
  const dir = await Deno.makeTempDir();
  try {
    const sizes = [3 * MIB, 3 * MIB + 1, 3 * MIB + 2, 3 * MIB + 3];
    for (const [i, n] of sizes.entries()) await Deno.writeFile(`${dir}/${i}`, bytes(n, i + 41));
    const hashing = new URL("../../../src/reader/hashing.ts", import.meta.url).href;
    // Four local packages begun at once, as a run reads them: the first alone is in place.
    const script = `
      import { hashPoolStats, packageHasher, setHashWorkers } from ${JSON.stringify(hashing)};
      setHashWorkers(2);
      const sums = await Promise.all([0, 1, 2, 3].map(async (i) => {
        const hasher = packageHasher(["md5", "sha256"], true);
        await hasher.updateFromFile(${JSON.stringify(dir)} + "/" + i, 0);
        return await hasher.digest();
      }));
      console.log(JSON.stringify({ sums, stats: hashPoolStats }));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", script],
      stderr: "inherit",
    }).output();
    assert.ok(out.success);
    const { sums, stats } = JSON.parse(new TextDecoder().decode(out.stdout));
    for (const [i, n] of sizes.entries()) {
      const data = bytes(n, i + 41);
      assert.deepEqual(sums[i], { size: n, md5: hex("md5", data), sha256: hex("sha256", data) });
    }
    assert.equal(stats.remoteJobs, 3);
    assert.equal(stats.workerFileBytes, sizes[1] + sizes[2] + sizes[3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stopHashWorkers() stops idle workers at once; a later job starts them again", async () => {
  setHashWorkers(2);
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 2; i++) await hashLocalPackage(dir, i);
    const { workerStarts: starts, workerStops: stops } = hashPoolStats;
    assert.ok(starts > 0, "the workers never started");
    // Not 50 ms later, when the idle timer would have stopped them: now.
    stopHashWorkers();
    assert.equal(hashPoolStats.workerStops, stops + 1);
    await hashLocalPackage(dir, 2);
    assert.equal(hashPoolStats.workerStarts, starts + 1);
  } finally {
    setHashWorkers(undefined);
    await settle();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ByteReader: exact reads across chunks, skips, tap order, owned byte-stream chunks", async () => {
  const data = bytes(2 * MIB + 333, 7);
  for (const byteStream of [false, true]) {
    const seen: Uint8Array[] = [];
    let owned: boolean | undefined;
    const reader = new ByteReader(streamOf(data, [1, 7, 4096, 700_000], byteStream), {
      key: "x",
      onChunk: (c, o) => {
        seen.push(c.slice());
        owned = o;
      },
    });
    assert.deepEqual(await reader.readExact(5), data.subarray(0, 5));
    assert.deepEqual(await reader.readExact(1_000_000), data.subarray(5, 1_000_005));
    await reader.skip(10);
    assert.deepEqual(await reader.readUpTo(3), data.subarray(1_000_015, 1_000_018));
    assert.equal(reader.offset, 1_000_018);
    assert.equal(await reader.skipToEnd(), data.length - 1_000_018);
    assert.ok(await reader.atEnd());
    assert.equal(owned, byteStream);
    const total = new Uint8Array(data.length);
    let at = 0;
    for (const c of seen) total.set(c, (at += c.length) - c.length);
    assert.equal(at, data.length);
    assert.deepEqual(total, data);
  }
});

Deno.test("ByteReader hands long skips of a local file to hashFile; short files fail cleanly", async () => {
  const path = await Deno.makeTempFile();
  try {
    const data = bytes(5 * MIB + 11, 3);
    await Deno.writeFile(path, data);
    for (const workers of [0, 2]) {
      setHashWorkers(workers);
      const release = workers > 0 ? await warmPool() : () => {};
      const remoteBefore = hashPoolStats.remoteJobs;
      const workerFileBefore = hashPoolStats.workerFileBytes;
      let fromFileTotal = 0;
      // Two jobs at once so that the second may run on a worker.
      await Promise.all([0, 1].map(async () => {
        const file = await Deno.open(path);
        const stream = { stream: file.readable, file: { path, start: 0 } };
        const hasher = packageHasher(["sha256"]);
        // what went through the stream, and what the hasher read from the file itself
        let streamed = 0;
        const delegated: { offset: number; length?: number; bytes: number }[] = [];
        const reader = new ByteReader(stream, {
          key: "f",
          onChunk: (c, o) => {
            streamed += c.length;
            return hasher.update(c, o);
          },
          hashFile: async (p, offset, length) => {
            assert.equal(p, path);
            const r = await hasher.updateFromFile(p, offset, length);
            delegated.push({ offset, length, bytes: r.bytes });
            return r;
          },
        });
        assert.deepEqual(await reader.readExact(100), data.subarray(0, 100));
        assert.equal(delegated.length, 0, "a 100-byte read was delegated");
        await reader.skip(2 * MIB); // delegated
        // the skip went to hashFile: the stretch after what the stream had already handed over,
        // up to the end of the skip, hashed by the hasher from the file
        assert.equal(delegated.length, 1, "a 2 MiB skip of a local file was not delegated");
        const [skip] = delegated;
        assert.equal(skip.offset, streamed);
        assert.equal(skip.offset + skip.bytes, 2 * MIB + 100);
        assert.equal(skip.length, skip.bytes);
        assert.ok(skip.bytes >= MIB, `only ${skip.bytes} bytes delegated`);
        assert.equal(hasher.size, 2 * MIB + 100);
        assert.deepEqual(await reader.readExact(10), data.subarray(2 * MIB + 100, 2 * MIB + 110));
        assert.equal(reader.offset, 2 * MIB + 110);
        await reader.skipToEnd();
        assert.equal(reader.offset, data.length);
        // every byte hashed exactly once, most of them without passing through the stream
        const fromFile = delegated.reduce((n, d) => n + d.bytes, 0);
        assert.equal(streamed + fromFile, data.length);
        assert.ok(streamed < data.length - 2 * MIB, `${streamed} bytes went through the stream`);
        fromFileTotal += fromFile;
        assert.deepEqual(await hasher.digest(), { size: data.length, sha256: hex("sha256", data) });
      }));
      // with workers, a delegated skip was hashed (and so read) on a worker thread
      // with workers, the delegated stretches of the job that ran on a worker were read and
      // hashed by that worker from the file (without: nothing is read on a worker)
      const onWorkers = hashPoolStats.workerFileBytes - workerFileBefore;
      if (workers > 0) {
        assert.ok(hashPoolStats.remoteJobs > remoteBefore, "no job on a worker");
        assert.ok(onWorkers >= 2 * MIB, `only ${onWorkers} bytes read on a worker`);
        assert.ok(onWorkers <= fromFileTotal);
      } else assert.equal(onWorkers, 0);
      // A skip past the end of the file names where the file ends.
      const file = await Deno.open(path);
      const hasher = packageHasher(["sha256"]);
      const reader = new ByteReader({ stream: file.readable, file: { path, start: 0 } }, {
        key: "short.rpm",
        onChunk: (c, o) => hasher.update(c, o),
        hashFile: (p, offset, length) => hasher.updateFromFile(p, offset, length),
      });
      await reader.readExact(10);
      await assert.rejects(reader.skip(6 * MIB, "the payload"), (e: unknown) => {
        assert.ok(e instanceof MkrepoError);
        assert.equal(e.code, "malformed-package");
        assert.match(e.message, /file ends inside the payload/);
        assert.equal(e.offset, data.length);
        return true;
      });
      hasher.abort();
      await reader.cancel();
      release();
    }
  } finally {
    setHashWorkers(undefined);
    await Deno.remove(path);
    await settle();
  }
});

Deno.test("hashStream() hashes plain, byte and local-file streams alike", async () => {
  const path = await Deno.makeTempFile();
  try {
    const data = bytes(3 * MIB + 5, 9);
    await Deno.writeFile(path, data);
    const want = { size: data.length, sha512: hex("sha512", data), md5: hex("md5", data) };
    assert.deepEqual(await hashStream(streamOf(data, [12345], false), ["sha512", "md5"]), want);
    assert.deepEqual(await hashStream(streamOf(data, [MIB], true), ["sha512", "md5"]), want);
    const file = await Deno.open(path);
    const marked = { stream: file.readable, file: { path, start: 0 } };
    assert.deepEqual(await hashStream(marked, ["sha512", "md5"]), want);
    const part = await Deno.open(path);
    await part.seek(10, Deno.SeekMode.Start);
    const range = { stream: part.readable, file: { path, start: 10, end: 1000 } };
    assert.deepEqual(await hashStream(range, ["md5"]), {
      size: 990,
      md5: hex("md5", data.subarray(10, 1000)),
    });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("orderedPool() keeps input order, bounds concurrency and does not wait on a slow head", async () => {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const delays = [60, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  const out: number[] = [];
  for await (
    const r of orderedPool(delays.keys(), 3, async (i) => {
      started.push(i);
      peak = Math.max(peak, ++running);
      await new Promise((res) => setTimeout(res, delays[i]));
      running--;
      return i * 10;
    })
  ) {
    if (out.length === 0) assert.ok(started.length > 3, "later items waited for the slow first");
    out.push(r);
  }
  assert.deepEqual(out, delays.map((_, i) => i * 10));
  assert.ok(peak <= 3);
  await assert.rejects(
    (async () => {
      for await (
        const _ of orderedPool(
          [1, 2, 3],
          2,
          (i) => i === 2 ? Promise.reject(new Error("boom")) : Promise.resolve(i),
        )
      ) {
        // consume
      }
    })(),
    /boom/,
  );
});
