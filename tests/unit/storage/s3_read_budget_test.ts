/**
 * The read budget of the S3 backend: many reads of big objects at once stay within one
 * storage-wide budget of bytes fetched ahead (measured by its counter, not by RSS), every read
 * still progresses, and the streams are byte streams whose chunks the reader owns.
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { isByteStream } from "../../../src/util/byte_source.ts";
import { ReadBudget } from "../../../src/storage/read_budget.ts";
import { S3Storage, type S3StorageOptions } from "../../../src/storage/s3_storage.ts";
import { type MotoS3, withMotoServer } from "../../_helpers/moto.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

function storageFor(s3: MotoS3, options: Partial<S3StorageOptions> = {}): S3Storage {
  return new S3Storage({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    retryBaseDelayMs: 10,
    ...options,
  });
}

/** Deterministic pseudo-random bytes. */
function pattern(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("ReadBudget lets waiters in first come first served; force() always takes", () => {
  const budget = new ReadBudget(10);
  assert.ok(budget.tryTake(6));
  assert.ok(!budget.tryTake(5));
  const granted: string[] = [];
  budget.wait(5, () => granted.push("a"));
  const withdrawB = budget.wait(3, () => granted.push("b"));
  assert.ok(!budget.tryTake(1), "nobody jumps the queue");
  budget.force(8);
  assert.equal(budget.used, 14);
  assert.equal(budget.peak, 14);
  budget.release(8);
  assert.deepEqual(granted, []); // 6 + 5 > 10
  budget.release(3);
  assert.deepEqual(granted, ["a"]); // 3 + 5 = 8; b needs 3 more
  withdrawB();
  budget.release(8);
  assert.deepEqual(granted, ["a"]);
  assert.equal(budget.used, 0);
});

Deno.test("S3 reads of many big objects at once stay within the storage's read budget", (t) =>
  withMotoServer(async (moto) => {
    const s3 = await moto.newBucket();
    const reads = 6;
    const size = 6 * MiB + 123;
    const objects = Array.from({ length: reads }, (_, i) => pattern(size, i + 1));
    const setup = storageFor(s3);
    try {
      await Promise.all(objects.map((data, i) => setup.write(`pool/big-${i}.rpm`, data)));
    } finally {
      await setup.close();
    }
    const partSize = 512 * KiB;
    const concurrency = 8;

    /** Reads every object at once, slowly; returns the samples of the budget taken. */
    const readAllSlowly = async (storage: S3Storage) => {
      const samples: number[] = [];
      await Promise.all(objects.map(async (data, i) => {
        const stream = await storage.read(`pool/big-${i}.rpm`);
        assert.ok(isByteStream(stream), "a byte stream: the reader owns its chunks");
        const hash = createHash("sha256");
        let got = 0;
        for await (const chunk of stream) {
          assert.ok(chunk.length <= MiB, `chunk of ${chunk.length} bytes`);
          hash.update(chunk);
          got += chunk.length;
          samples.push(storage.readAhead.used);
          await sleep(15);
        }
        assert.equal(got, data.length);
        assert.equal(hash.digest("hex"), sha256(data));
      }));
      return samples;
    };

    await t.step("with a budget of 4 MiB", async () => {
      const budget = 4 * MiB;
      const storage = storageFor(s3, { partSize, concurrency, readBudget: budget });
      try {
        const samples = await readAllSlowly(storage);
        const { peak, used, limit } = storage.readAhead;
        assert.equal(limit, budget);
        // Over the budget only by the part each read needs next.
        const bound = budget + reads * partSize;
        assert.ok(peak <= bound, `peak ${peak} > ${bound}`);
        assert.ok(samples.every((s) => s <= bound));
        assert.ok(peak > budget - partSize, `the budget was used for read-ahead (peak ${peak})`);
        assert.equal(used, 0, "every byte given back");
      } finally {
        await storage.close();
      }
    });

    await t.step("without a budget the same reads take far more", async () => {
      const storage = storageFor(s3, { partSize, concurrency, readBudget: 1024 * MiB });
      try {
        await readAllSlowly(storage);
        assert.ok(
          storage.readAhead.peak > 4 * MiB + reads * partSize,
          `peak ${storage.readAhead.peak}`,
        );
        assert.equal(storage.readAhead.used, 0);
      } finally {
        await storage.close();
      }
    });

    await t.step("a budget smaller than one part still reads, one part per read", async () => {
      const storage = storageFor(s3, { partSize, concurrency, readBudget: 0 });
      try {
        await readAllSlowly(storage);
        assert.ok(storage.readAhead.peak <= reads * partSize, `peak ${storage.readAhead.peak}`);
        assert.equal(storage.readAhead.used, 0);
      } finally {
        await storage.close();
      }
    });

    await t.step("a stream held unread does not stop another read (no deadlock)", async () => {
      const storage = storageFor(s3, { partSize, concurrency, readBudget: 2 * MiB });
      try {
        const held = await storage.read("pool/big-0.rpm");
        const heldReader = held.getReader();
        await heldReader.read();
        await sleep(100); // its read-ahead takes the whole budget
        const other = new Uint8Array(
          await new Response(await storage.read("pool/big-1.rpm"))
            .arrayBuffer(),
        );
        assert.equal(sha256(other), sha256(objects[1]));
        await heldReader.cancel();
        assert.equal(storage.readAhead.used, 0, "a cancelled read gives its bytes back");
      } finally {
        await storage.close();
      }
    });

    await t.step("a small object is one GET and takes only its size", async () => {
      const storage = storageFor(s3, { partSize, concurrency, readBudget: 4 * MiB });
      try {
        const small = pattern(100 * KiB, 9);
        await storage.write("small.rpm", small);
        const before = s3.requestLog().length;
        const got = new Uint8Array(
          await new Response(await storage.read("small.rpm"))
            .arrayBuffer(),
        );
        assert.equal(sha256(got), sha256(small));
        assert.equal(s3.requestLog().slice(before).filter((r) => r.method === "GET").length, 1);
        assert.equal(storage.readAhead.peak, small.length);
        assert.equal(storage.readAhead.used, 0);
      } finally {
        await storage.close();
      }
    });
  }));
