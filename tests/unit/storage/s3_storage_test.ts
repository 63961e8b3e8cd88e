/**
 * The S3 backend against a real S3 server (moto on loopback): round trips, awkward keys,
 * paginated listings, ranged and parallel reads, resume after a cut connection, conditional
 * writes, headers, and the one-line errors users meet.
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { formatError, MkrepoError } from "../../../src/errors.ts";
import { createS3Storage, type S3StorageOptions } from "../../../src/storage/s3_storage.ts";
import { backoffDelay, isTransient, withRetry } from "../../../src/storage/retry.ts";
import { readAll, type Storage } from "../../../src/storage/storage.ts";
import { freePort, type MotoS3, type MotoServer, withMotoServer } from "../../_helpers/moto.ts";
import { spyStorage } from "../../_helpers/spy_storage.ts";
import { startTcpProxy } from "../../_helpers/tcp_proxy.ts";

const MiB = 1024 * 1024;

/** A storage on a moto bucket; options override the defaults. */
function storageFor(s3: MotoS3, options: Partial<S3StorageOptions> = {}): Storage {
  return createS3Storage({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    retryBaseDelayMs: 10,
    ...options,
  });
}

/** Runs `fn` with a fresh bucket and a storage on it, closed afterwards. */
async function withStorage(
  moto: MotoServer,
  options: Partial<S3StorageOptions>,
  fn: (storage: Storage, s3: MotoS3) => Promise<void>,
): Promise<void> {
  const s3 = await moto.newBucket();
  const storage = storageFor(s3, options);
  try {
    await fn(storage, s3);
  } finally {
    await storage.close?.();
  }
}

/** Deterministic pseudo-random bytes (xorshift32). */
function pattern(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = i & 255;
  return out;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Reads a stream, hashing it; returns size, hash and the largest chunk seen. */
async function drain(stream: ReadableStream<Uint8Array>) {
  const hash = createHash("sha256");
  let size = 0;
  let largest = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
    largest = Math.max(largest, chunk.length);
  }
  return { size, sha256: hash.digest("hex"), largest };
}

/** Asserts a MkrepoError with `code` whose formatted form is one error line (+ hint line). */
function assertOneLine(err: unknown, code: string, reason: RegExp, hint?: RegExp): true {
  assert.ok(err instanceof MkrepoError, `expected MkrepoError, got ${err}`);
  assert.equal(err.code, code, err.message);
  assert.match(err.message, reason);
  if (hint) assert.match(err.hint ?? "", hint);
  const lines = formatError(err).split("\n");
  assert.ok(lines.length <= 2, `expected one line plus hint, got:\n${lines.join("\n")}`);
  assert.match(lines[0], /^error: Cannot /);
  assert.ok(!/\n\s+at /.test(formatError(err)), "no stack trace");
  return true;
}

/**
 * HEAD straight to moto. moto checks no signature while its IAM checking is off, but it
 * does apply ACLs to anonymous requests, so a dummy Authorization header stands for an owner.
 */
async function headers(s3: MotoS3, fullKey: string): Promise<Headers> {
  const res = await fetch(`${s3.endpoint}/${s3.bucket}/${encodeKey(fullKey)}`, {
    method: "HEAD",
    headers: { authorization: OWNER },
  });
  await res.body?.cancel();
  assert.equal(res.status, 200, `HEAD ${fullKey}`);
  return res.headers;
}

/** Status of an anonymous GET (no credentials at all), as apt or dnf would send it. */
async function anonymousGet(s3: MotoS3, fullKey: string): Promise<number> {
  const res = await fetch(`${s3.endpoint}/${s3.bucket}/${encodeKey(fullKey)}`);
  await res.body?.cancel();
  return res.status;
}

const OWNER =
  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

/**
 * Runs a small program using createS3Storage() without keys in a child Deno with only `env`
 * (AWS variables are process-global) and the least permissions the S3 backend needs.
 */
async function runWithEnv(s3: MotoS3, home: string, env: Record<string, string>) {
  const script = `${home}/probe.ts`;
  const storageModule = new URL("../../../src/storage/s3_storage.ts", import.meta.url).href;
  const errorsModule = new URL("../../../src/errors.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { createS3Storage } from ${JSON.stringify(storageModule)};
import { formatError } from ${JSON.stringify(errorsModule)};
const s = createS3Storage({ bucket: ${JSON.stringify(s3.bucket)}, endpoint: ${
      JSON.stringify(s3.endpoint)
    } });
try {
  await s.write("from-profile", "ok");
  for await (const o of s.list("")) console.log(o.key);
} catch (e) {
  console.log(formatError(e));
  Deno.exitCode = 1;
} finally {
  await s.close();
}
`,
  );
  const config = fileURLToPath(new URL("../../../deno.json", import.meta.url));
  const cacheHome = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--config=${config}`,
      // The least the S3 backend needs (reading profiles included): no -A, no --allow-run.
      `--allow-net=127.0.0.1:${s3.port}`,
      "--allow-env",
      `--allow-read=${home}`,
      "--allow-sys=osRelease",
      script,
    ],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${cacheHome}/deno`,
      NO_COLOR: "1",
      AWS_EC2_METADATA_DISABLED: "true",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("createS3Storage() against moto", (t) =>
  withMotoServer(async (moto) => {
    await t.step("write() then stat(), read(), list() and remove() round-trip", () =>
      withStorage(moto, { prefix: "/repos//centos/" }, async (storage, s3) => {
        const { etag } = await storage.write("repodata/repomd.xml", "<repomd/>");
        assert.match(etag, /^"?[0-9a-f]{32}"?$/);
        assert.equal(
          storage.describe("repodata/repomd.xml"),
          `s3://${s3.bucket}/repos/centos/repodata/repomd.xml`,
        );

        const info = await storage.stat("repodata/repomd.xml");
        assert.equal(info?.key, "repodata/repomd.xml");
        assert.equal(info?.size, 9);
        assert.equal(info?.etag, etag);
        assert.ok(Math.abs(info!.mtime - Date.now()) < 120_000, "mtime is recent");

        assert.equal(text(await readAll(storage, "repodata/repomd.xml")), "<repomd/>");
        await storage.write("Packages/a.rpm", new Uint8Array([1, 2, 3]));
        const listed = await Array.fromAsync(storage.list(""));
        assert.deepEqual(
          listed.map((o) =>
            o.key
          ).sort(),
          ["Packages/a.rpm", "repodata/repomd.xml"],
        );
        assert.deepEqual(
          listed.find((o) => o.key === "Packages/a.rpm")?.size,
          3,
        );
        // Only the prefix was touched in the bucket.
        assert.ok(
          s3.requestLog().some((r) =>
            r.path.startsWith(`/${s3.bucket}/repos/centos/Packages/a.rpm`)
          ),
        );

        await storage.remove("Packages/a.rpm");
        await storage.remove("Packages/a.rpm"); // absent: not an error
        assert.equal(await storage.stat("Packages/a.rpm"), undefined);
        assert.deepEqual((await Array.fromAsync(storage.list("Packages/"))).length, 0);
      }));

    await t.step("keys with spaces, '+', unicode and '%' round-trip", () =>
      withStorage(moto, { prefix: "weird prefix+" }, async (storage, s3) => {
        const keys = [
          "pool/main/h/hello world_1.0_amd64.deb",
          "pool/main/g/g++-12_12.2.0+1_amd64.deb",
          "pool/main/ü/über-ñandú_1.0~β_all.deb",
          "Packages/100%-done%2F.rpm",
          "Packages/a?b#c&d=e;f.rpm",
        ];
        for (const [i, key] of keys.entries()) {
          await storage.write(key, `content ${i}`);
        }
        const listed = await Array.fromAsync(storage.list(""));
        assert.deepEqual(
          listed.map((o) =>
            o.key
          ).sort(),
          [...keys].sort(),
        );
        for (const [i, key] of keys.entries()) {
          assert.equal(text(await readAll(storage, key)), `content ${i}`, key);
          assert.equal((await storage.stat(key))?.size, `content ${i}`.length, key);
        }
        assert.deepEqual(
          (await Array.fromAsync(storage.list("pool/main/g/g++"))).map((o) => o.key),
          [keys[1]],
        );
        // The bucket holds exactly "<prefix>/<key>", nothing double-encoded.
        const h = await headers(s3, `weird prefix+/${keys[2]}`);
        assert.equal(h.get("content-length"), "9");
        for (const key of keys) await storage.remove(key);
        assert.equal((await Array.fromAsync(storage.list(""))).length, 0);
      }));

    await t.step("list() pages through 2,600 objects under a prefix, and only those", () =>
      withStorage(moto, { prefix: "repo" }, async (storage, s3) => {
        const keys = Array.from({ length: 2600 }, (_, i) =>
          `Packages/p${String(i).padStart(5, "0")}.rpm`);
        const outside = createS3Storage({
          bucket: s3.bucket,
          endpoint: s3.endpoint,
          accessKeyId: "x",
          secretAccessKey: "y",
        });
        try {
          // Neighbours that a careless prefix join would list.
          await outside.write("repo2/Packages/x.rpm", "x");
          await outside.write("repoPackages/y.rpm", "y");
          await outside.write("repo/", ""); // a console-made "folder" marker
        } finally {
          await outside.close?.();
        }
        let next = 0;
        await Promise.all(Array.from({ length: 16 }, async () => {
          while (next < keys.length) {
            const key = keys[next++];
            await storage.write(key, key);
          }
        }));
        const before = s3.requestLog().length;
        const listed = await Array.fromAsync(storage.list(""));
        assert.equal(listed.length, 2600);
        assert.deepEqual(
          listed.map((o) =>
            o.key
          ).sort(),
          keys,
        );
        const pages = s3.requestLog().slice(before).filter((r) =>
          /[?&]list-type=2/.test(r.path)
        );
        assert.equal(pages.length, 3, "1000 keys per page");
        assert.equal((await Array.fromAsync(storage.list("Packages/p001"))).length, 100);
      }));

    await t.step("read() with a range returns exactly those bytes", () =>
      withStorage(moto, {}, async (storage) => {
        const data = pattern(100_000, 7);
        await storage.write("blob", data);
        const cases: Array<[number, number | undefined]> = [
          [0, 1],
          [5, 10],
          [99_999, 100_000],
          [12_345, undefined],
          [0, undefined],
          [90_000, 200_000], // end past the object: clamped
          [100_000, undefined], // at the end: empty
          [500, 500], // empty range
        ];
        for (const [start, end] of cases) {
          const got = new Uint8Array(
            await new Response(await storage.read("blob", { start, end })).arrayBuffer(),
          );
          assert.deepEqual(got, data.subarray(start, end), `range [${start}, ${end})`);
        }
        await storage.write("empty", new Uint8Array());
        assert.equal((await readAll(storage, "empty")).length, 0);
      }));

    await t.step("read() of a missing key throws not-found; stat() gives undefined", () =>
      withStorage(moto, { prefix: "p" }, async (storage, s3) => {
        await assert.rejects(
          storage.read("nope/missing.deb"),
          (e) =>
            assertOneLine(e, "not-found", /s3:\/\/.*\/p\/nope\/missing\.deb": no such object/) &&
            (e as MkrepoError).key === `s3://${s3.bucket}/p/nope/missing.deb`,
        );
        assert.equal(await storage.stat("nope/missing.deb"), undefined);
      }));

    await t.step("write() sets Content-Type, Cache-Control, ACL, storage class and SSE", () =>
      withStorage(
        moto,
        { prefix: "r", storageClass: "STANDARD_IA", sse: "AES256", publicRead: false },
        async (storage, s3) => {
          await storage.write("dists/stable/InRelease", "signed", {
            contentType: "text/plain; charset=utf-8",
            cacheControl: "max-age=60, must-revalidate",
            publicRead: true,
          });
          const h = await headers(s3, "r/dists/stable/InRelease");
          assert.equal(h.get("content-type"), "text/plain; charset=utf-8");
          assert.equal(h.get("cache-control"), "max-age=60, must-revalidate");
          assert.equal(h.get("x-amz-storage-class"), "STANDARD_IA");
          assert.equal(h.get("x-amz-server-side-encryption"), "AES256");
          // public-read: anonymous clients may GET it; without it they may not.
          assert.equal(await anonymousGet(s3, "r/dists/stable/InRelease"), 200);
          await storage.write("dists/stable/Release", "plain");
          assert.equal(await anonymousGet(s3, "r/dists/stable/Release"), 403);
        },
      ));

    // moto 5.2.1 implements If-None-Match/If-Match on PutObject (412 PreconditionFailed, and
    // 404 NoSuchKey for If-Match on a missing key), as AWS S3 does since 2024.
    await t.step("write() with ifNoneMatch '*' on an existing key fails with conflict", () =>
      withStorage(moto, {}, async (storage) => {
        const first = await storage.write("repodata/repomd.xml", "one", { ifNoneMatch: "*" });
        await assert.rejects(
          storage.write("repodata/repomd.xml", "two", { ifNoneMatch: "*" }),
          (e) =>
            assertOneLine(e, "conflict", /already exists/, /another run/),
        );
        assert.equal(text(await readAll(storage, "repodata/repomd.xml")), "one");
        assert.equal((await storage.stat("repodata/repomd.xml"))?.etag, first.etag);
      }));

    await t.step(
      "write() with a stale ifMatch etag fails with conflict; the current one wins",
      () =>
        withStorage(moto, {}, async (storage) => {
          const v1 = await storage.write("InRelease", "v1");
          const v2 = await storage.write("InRelease", "v2", { ifMatch: v1.etag });
          await assert.rejects(
            storage.write("InRelease", "v3", { ifMatch: v1.etag }),
            (e) =>
              assertOneLine(e, "conflict", /changed since it was read/),
          );
          assert.equal(text(await readAll(storage, "InRelease")), "v2");
          await storage.write("InRelease", "v3", { ifMatch: v2.etag });
          assert.equal(text(await readAll(storage, "InRelease")), "v3");
          await assert.rejects(
            storage.write("gone", "x", { ifMatch: v2.etag }),
            (e) =>
              assertOneLine(e, "conflict", /removed since it was read/),
          );
        }),
    );

    await t.step("write() of a stream uploads in parts and round-trips", () =>
      withStorage(moto, { partSize: 5 * MiB }, async (storage, s3) => {
        const data = pattern(12 * MiB + 123, 3);
        const { etag } = await storage.write("big.rpm", new Blob([data]).stream(), {
          contentType: "application/x-rpm",
        });
        assert.match(etag, /-3"?$/, "multipart ETag names 3 parts");
        assert.equal((await storage.stat("big.rpm"))?.size, data.length);
        assert.equal((await drain(await storage.read("big.rpm"))).sha256, sha256(data));
        assert.ok(
          s3.requestLog().some((r) =>
            r.method === "POST" && /uploads/.test(r.path)
          ),
        );
        // Small streams go in one PUT.
        await storage.write("small", new Blob(["tiny"]).stream());
        assert.equal(text(await readAll(storage, "small")), "tiny");
        // Conditions reach CompleteMultipartUpload too.
        await assert.rejects(
          storage.write("big.rpm", new Blob([data]).stream(), { ifNoneMatch: "*" }),
          (e) =>
            assertOneLine(e, "conflict", /already exists/),
        );
      }));

    await t.step("a spy wrapper counts calls and bytes and injects faults", () =>
      withStorage(moto, {}, async (storage) => {
        const spy = spyStorage(storage);
        await spy.write("a", "12345");
        assert.equal(text(await readAll(spy, "a")), "12345");
        await spy.stat("a");
        spy.failNext("read");
        await assert.rejects(spy.read("a"), (e) =>
          isTransient(e) && /injected fault/.test(String(e)));
        assert.deepEqual(spy.calls, { list: 0, stat: 1, read: 2, write: 1, remove: 0 });
        assert.equal(spy.bytesRead, 5);
        assert.equal(spy.bytesWritten, 5);
        assert.deepEqual(spy.keysRead, ["a", "a"]);

        // A transient fault is absorbed by withRetry(); the spy sees both calls.
        spy.reset();
        spy.failNext("stat");
        const info = await withRetry(() =>
          spy.stat("a"), { baseDelayMs: 1 });
        assert.equal(info?.size, 5);
        assert.equal(spy.calls.stat, 2);

        // A dropped read stream errors after the bytes it let through.
        spy.dropNextRead(2);
        const reader = (await spy.read("a")).getReader();
        assert.deepEqual((await reader.read()).value, new TextEncoder().encode("12"));
        await assert.rejects(reader.read(), (e) =>
          isTransient(e) && /dropped after 2 bytes/.test(String(e)));
        assert.equal(text(await readAll(spy, "a")), "12345", "only the next read is dropped");

        // A precondition failure looks like the backends' own.
        spy.failNext("write", "conflict");
        await assert.rejects(
          spy.write("a", "x", { ifMatch: '"old"' }),
          (e) =>
            e instanceof MkrepoError && e.code === "conflict",
        );
      }));
  }));

Deno.test("createS3Storage() reads big objects in parallel parts", (t) =>
  withMotoServer(async (moto) => {
    const s3 = await moto.newBucket();
    const data = pattern(40 * MiB + 17, 11);
    const digest = sha256(data);
    const setup = storageFor(s3);
    try {
      await setup.write("pool/big.deb", data);
    } finally {
      await setup.close?.();
    }

    await t.step(
      "read() of a 40 MiB object gives the right bytes in 8 MiB ranged parts",
      async () => {
        const storage = storageFor(s3, { concurrency: 3 });
        try {
          const before = s3.requestLog().length;
          const got = await drain(await storage.read("pool/big.deb"));
          assert.equal(got.size, data.length);
          assert.equal(got.sha256, digest);
          assert.ok(got.largest <= MiB, `chunks stay small (largest ${got.largest})`);
          const gets = s3.requestLog().slice(before).filter((r) => r.method === "GET");
          assert.equal(gets.length, 6, "ceil(40 MiB / 8 MiB) ranged GETs");
          assert.ok(gets.every((r) => r.status === 206));

          const part = await drain(
            await storage.read("pool/big.deb", { start: 7 * MiB, end: 25 * MiB + 3 }),
          );
          assert.equal(part.sha256, sha256(data.subarray(7 * MiB, 25 * MiB + 3)));
        } finally {
          await storage.close?.();
        }
      },
    );

    await t.step("read() buffers at most `concurrency` parts for a slow reader", async () => {
      const proxy = startTcpProxy({ targetPort: s3.port });
      const storage = storageFor(s3, { endpoint: proxy.url, concurrency: 2, partSize: 4 * MiB });
      try {
        const reader = (await storage.read("pool/big.deb")).getReader();
        const first = await reader.read();
        assert.ok(first.value && first.value.length > 0);
        // Let the fetchers run until they stop on their own.
        let last = -1;
        while (proxy.bytesDown !== last) {
          last = proxy.bytesDown;
          await new Promise((r) => setTimeout(r, 300));
        }
        assert.equal(proxy.connections, 2, "two parts in flight");
        assert.ok(
          proxy.bytesDown <= 2 * 4 * MiB + 64 * 1024,
          `fetched ${proxy.bytesDown} bytes ahead`,
        );
        // Reading on fetches the rest, in order.
        const hash = createHash("sha256").update(first.value!);
        let size = first.value!.length;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          hash.update(value);
          size += value.length;
        }
        assert.equal(size, data.length);
        assert.equal(hash.digest("hex"), digest);
        assert.equal(proxy.connections, 11);
      } finally {
        await storage.close?.();
        await proxy.close();
      }
    });

    await t.step("read() cancelled early stops its requests", async () => {
      // Every response is held after 1 MiB, so the four parts in flight are still downloading
      // when the reader cancels; released only once the cancellation had its chance to act.
      const proxy = startTcpProxy({ targetPort: s3.port, hold: { afterBytes: MiB } });
      const storage = storageFor(s3, { endpoint: proxy.url, concurrency: 4, partSize: 4 * MiB });
      const gets = () =>
        s3.requestLog().filter((r) => r.method === "GET" && r.path.includes("/pool/big.deb"));
      const before = gets().length;
      const settle = async (done: () => boolean) => {
        for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 100));
      };
      try {
        const reader = (await storage.read("pool/big.deb")).getReader();
        const first = await reader.read();
        assert.ok(first.value && first.value.length > 0);
        await settle(() => gets().length - before >= 4);
        assert.equal(gets().length - before, 4, "four ranged GETs in flight");
        // each of the four answers has reached its hold point (a loaded machine can lag)
        await settle(() => proxy.bytesDown >= 4 * MiB);
        const cancelling = reader.cancel();
        await settle(() => proxy.clientCloses >= 4);
        proxy.release();
        await cancelling;
        // whatever was still to flow has flowed
        let last = -1;
        while (proxy.bytesDown !== last) {
          last = proxy.bytesDown;
          await new Promise((r) => setTimeout(r, 300));
        }
        assert.equal(proxy.clientCloses, 4, "the reader closed each part's connection");
        assert.ok(
          proxy.bytesDown <= 4 * MiB,
          `${proxy.bytesDown} bytes downloaded: the parts went on after the cancel`,
        );
        assert.equal(gets().length - before, 4, "a GET was sent after the cancel");
      } finally {
        await storage.close?.();
        await proxy.close();
      }
    });

    await t.step("read() fails clearly when the object is replaced between its parts", async () => {
      const s3b = await moto.newBucket();
      const storage = storageFor(s3b, { concurrency: 1, partSize: 1 * MiB });
      try {
        await storage.write("pool/changing.deb", pattern(3 * MiB, 21));
        const reader = (await storage.read("pool/changing.deb")).getReader();
        await reader.read();
        await storage.write("pool/changing.deb", pattern(3 * MiB, 22));
        const rest = (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })();
        await assert.rejects(
          rest,
          (e) =>
            assertOneLine(
              e,
              "storage",
              /changing\.deb": the object was replaced while it was being read/,
            ),
        );
      } finally {
        await storage.close?.();
      }
    });

    await t.step("read() resumes a body cut mid-way and the bytes are right", async () => {
      // Connection 1 carries part 1, connection 3 part 3: both are cut after ~3 MB.
      const proxy = startTcpProxy({
        targetPort: s3.port,
        cut: { afterBytes: 3_000_000, connections: [1, 3] },
      });
      const storage = storageFor(s3, { endpoint: proxy.url, concurrency: 2 });
      try {
        const got = await drain(await storage.read("pool/big.deb"));
        assert.equal(got.size, data.length);
        assert.equal(got.sha256, digest);
        assert.equal(proxy.cuts, 2);
        assert.equal(proxy.connections, 6 + 2, "each cut costs one extra ranged GET");
        // Only the missing bytes were fetched again: those of the buffer being filled at the cut
        // (at most 1 MiB, which the failed read took with it) and the bytes after them.
        assert.ok(
          proxy.bytesDown < data.length + proxy.cuts * MiB + 64 * 1024,
          `${proxy.bytesDown} bytes downloaded`,
        );
      } finally {
        await storage.close?.();
        await proxy.close();
      }
    });

    await t.step("read() of a small object resumes too", async () => {
      const small = storageFor(s3);
      const bytes = pattern(300_000, 5);
      try {
        await small.write("small.deb", bytes);
      } finally {
        await small.close?.();
      }
      const proxy = startTcpProxy({
        targetPort: s3.port,
        cut: { afterBytes: 100_000, connections: [1] },
      });
      const storage = storageFor(s3, { endpoint: proxy.url });
      try {
        assert.deepEqual(await readAll(storage, "small.deb"), bytes);
        assert.equal(proxy.cuts, 1);
        assert.equal(proxy.connections, 2);
      } finally {
        await storage.close?.();
        await proxy.close();
      }
    });

    await t.step("read() gives up after repeated cuts with one clear error", async () => {
      const proxy = startTcpProxy({
        targetPort: s3.port,
        cut: { afterBytes: 2000, connections: Array.from({ length: 100 }, (_, i) => i + 1) },
      });
      const storage = storageFor(s3, { endpoint: proxy.url, retryAttempts: 3, concurrency: 2 });
      try {
        const stream = await storage.read("pool/big.deb");
        await assert.rejects(
          drain(stream),
          (e) =>
            assertOneLine(
              e,
              "storage",
              /pool\/big\.deb": the connection to 127\.0\.0\.1:\d+ kept failing/,
            ),
        );
        // Each part gives up after at most attempts + 16 resumes (every cut made some progress).
        assert.ok(proxy.connections <= 2 * (1 + 3 + 16), `${proxy.connections} connections`);
      } finally {
        await storage.close?.();
        await proxy.close();
      }
    });
  }));

Deno.test("createS3Storage() turns failures into one clear line", (t) =>
  withMotoServer(async (moto) => {
    await t.step("a missing bucket", async () => {
      const s3 = { ...(await moto.newBucket()), bucket: "no-such-bucket-here" };
      const storage = storageFor(s3, { prefix: "repo" });
      try {
        const missing = (e: unknown) =>
          assertOneLine(
            e,
            "not-found",
            /bucket "no-such-bucket-here" does not exist/,
            /--s3-endpoint/,
          );
        await assert.rejects(Array.fromAsync(storage.list("")), missing);
        await assert.rejects(storage.read("dists/x/Release"), missing);
        await assert.rejects(storage.write("dists/x/Release", "x"), missing);
        await assert.rejects(storage.remove("dists/x/Release"), missing);
      } finally {
        await storage.close?.();
      }
    });

    await t.step("an endpoint refusing connections", async () => {
      const s3 = { ...(await moto.newBucket()), endpoint: `http://127.0.0.1:${freePort()}` };
      const storage = storageFor(s3);
      try {
        const started = Date.now();
        await assert.rejects(
          Array.fromAsync(storage.list("")),
          (e) =>
            assertOneLine(
              e,
              "storage",
              /cannot connect to 127\.0\.0\.1:\d+ \(connection refused\)/,
              /--s3-endpoint/,
            ),
        );
        await assert.rejects(
          storage.read("x"),
          (e) => assertOneLine(e, "storage", /connection refused/, /--s3-endpoint/),
        );
        assert.ok(Date.now() - started < 10_000, "refused connections are not retried for long");
      } finally {
        await storage.close?.();
      }
    });

    await t.step("an unknown host", async () => {
      const s3 = { ...(await moto.newBucket()), endpoint: "http://no-such-host.invalid:9000" };
      const storage = storageFor(s3);
      try {
        await assert.rejects(
          storage.stat("x"),
          (e) =>
            assertOneLine(
              e,
              "storage",
              /cannot connect to no-such-host\.invalid:9000 \(host not found\)/,
            ),
        );
      } finally {
        await storage.close?.();
      }
    });

    // moto accepts any credentials until its IAM checking is turned on (/moto-api/reset-auth).
    await t.step("bad credentials (moto IAM checking on)", async () => {
      const s3 = await moto.newBucket();
      const good = await moto.enableAuth();
      try {
        const ok = storageFor(s3, good);
        try {
          await ok.write("k", "v");
          assert.equal(text(await readAll(ok, "k")), "v");
        } finally {
          await ok.close?.();
        }
        const unknownKey = storageFor(s3, {
          accessKeyId: "AKIANOTAREALKEY00000",
          secretAccessKey: "x",
        });
        const wrongSecret = storageFor(s3, {
          accessKeyId: good.accessKeyId,
          secretAccessKey: "wrong-secret",
        });
        try {
          await assert.rejects(
            Array.fromAsync(unknownKey.list("")),
            (e) => assertOneLine(e, "access-denied", /access key id is not known/, /AWS_PROFILE/),
          );
          await assert.rejects(
            wrongSecret.write("k", "x"),
            (e) =>
              assertOneLine(e, "access-denied", /secret access key does not match/) &&
              !formatError(e, { verbose: false }).includes("wrong-secret"),
          );
          await assert.rejects(
            wrongSecret.read("k"),
            (e) => assertOneLine(e, "access-denied", /secret access key does not match/),
          );
        } finally {
          await unknownKey.close?.();
          await wrongSecret.close?.();
        }
      } finally {
        await moto.disableAuth();
      }
    });

    await t.step(
      "credentials from a profile (AWS_PROFILE + config files) need no keys",
      async () => {
        const s3 = await moto.newBucket();
        const good = await moto.enableAuth();
        const home = await Deno.makeTempDir({ prefix: "mkrepo-aws-" });
        try {
          await Deno.writeTextFile(
            `${home}/credentials`,
            `[default]\naws_access_key_id = AKIAWRONGDEFAULT0000\naws_secret_access_key = nope\n\n` +
              `[mkrepo-test]\naws_access_key_id = ${good.accessKeyId}\n` +
              `aws_secret_access_key = ${good.secretAccessKey}\n`,
          );
          // The default profile's keys are wrong: success proves AWS_PROFILE was followed.
          await Deno.writeTextFile(`${home}/config`, `[profile mkrepo-test]\nregion = eu-west-3\n`);
          let run = await runWithEnv(s3, home, {
            AWS_CONFIG_FILE: `${home}/config`,
            AWS_SHARED_CREDENTIALS_FILE: `${home}/credentials`,
            AWS_PROFILE: "mkrepo-test",
          });
          assert.equal(run.code, 0, run.stdout + run.stderr);
          assert.equal(run.stdout.trim(), "from-profile");
          assert.equal(run.stderr.trim(), "", "no warnings on stderr");

          // No region anywhere (config without one, no AWS_REGION): us-east-1 is used.
          await Deno.writeTextFile(`${home}/config`, `[profile mkrepo-test]\noutput = json\n`);
          run = await runWithEnv(s3, home, {
            AWS_CONFIG_FILE: `${home}/config`,
            AWS_SHARED_CREDENTIALS_FILE: `${home}/credentials`,
            AWS_PROFILE: "mkrepo-test",
          });
          assert.equal(run.code, 0, run.stdout + run.stderr);

          // No credentials at all: one line and a hint, no stack trace.
          run = await runWithEnv(s3, home, {
            AWS_CONFIG_FILE: `${home}/none`,
            AWS_SHARED_CREDENTIALS_FILE: `${home}/none`,
          });
          assert.equal(run.code, 1);
          assert.match(
            run.stdout,
            /^error: Cannot write "s3:\/\/[^"]+\/from-profile": no usable AWS credentials .*\nhint: check --s3-access-key-id.*AWS_PROFILE/,
          );
          assert.equal(run.stdout.trim().split("\n").length, 2);
        } finally {
          await moto.disableAuth();
          await Deno.remove(home, { recursive: true });
        }
      },
    );
  }));

Deno.test("isTransient() retries 5xx, throttling and resets, not 4xx or refused connections", () => {
  const sdk = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  const net = (code: string, message = code) => Object.assign(new Error(message), { code });
  for (
    const e of [
      sdk("InternalError", 500),
      sdk("ServiceUnavailable", 503),
      sdk("SlowDown", 503),
      sdk("Throttling", 400),
      sdk("RequestTimeout", 400),
      sdk("TooManyRequests", 429),
      net("ECONNRESET", "aborted"),
      net("EPIPE"),
      net("ETIMEDOUT"),
      new Error("socket hang up"),
      new Error("x", { cause: net("ECONNRESET") }),
    ]
  ) assert.ok(isTransient(e), `${e.name} ${e.message} is transient`);
  for (
    const e of [
      sdk("AccessDenied", 403),
      sdk("Forbidden", 403),
      sdk("NoSuchKey", 404),
      sdk("NotFound", 404),
      sdk("NoSuchBucket", 404),
      sdk("PreconditionFailed", 412),
      sdk("NotImplemented", 501),
      sdk("InvalidArgument", 400),
      net("ECONNREFUSED"),
      net("ENOTFOUND"),
      new Error("plain bug"),
      "a string",
      undefined,
    ]
  ) assert.ok(!isTransient(e), `${String((e as Error)?.name ?? e)} is permanent`);
});

Deno.test("withRetry() backs off with full jitter and stops on permanent errors", async () => {
  for (let retry = 1; retry <= 10; retry++) {
    const cap = Math.min(5000, 100 * 2 ** (retry - 1));
    assert.equal(backoffDelay(retry, { random: () => 0 }), 0);
    assert.equal(backoffDelay(retry, { random: () => 0.999999 }), Math.floor(0.999999 * cap));
  }
  const delays: number[] = [];
  let calls = 0;
  const value = await withRetry(() => {
    if (++calls < 3) throw Object.assign(new Error("busy"), { name: "SlowDown" });
    return Promise.resolve("done");
  }, { baseDelayMs: 4, random: () => 0.5, onRetry: (_e, _n, ms) => delays.push(ms) });
  assert.equal(value, "done");
  assert.equal(calls, 3);
  assert.deepEqual(delays, [2, 4]);

  calls = 0;
  await assert.rejects(
    withRetry(() => {
      calls++;
      throw Object.assign(new Error("denied"), { name: "AccessDenied" });
    }),
    /denied/,
  );
  assert.equal(calls, 1, "permanent: no retry");

  calls = 0;
  await assert.rejects(
    withRetry(() => {
      calls++;
      throw Object.assign(new Error("busy"), { name: "SlowDown" });
    }, { attempts: 3, baseDelayMs: 1 }),
    /busy/,
  );
  assert.equal(calls, 3, "attempts are bounded");
});

/** An S3 error document as AWS sends it. */
function s3Error(status: number, code: string, message: string, extra = ""): Response {
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>R1</RequestId></Error>`,
    { status, headers: { "content-type": "application/xml" } },
  );
}

/**
 * Runs `fn` with a loopback HTTP server answering each request with the next scripted
 * response: AWS answers moto cannot give (expired tokens, other regions, ACLs refused, 503s).
 */
async function withScriptedS3(
  script: Array<() => Response>,
  fn: (storage: Storage, requests: string[]) => Promise<void>,
): Promise<void> {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    requests.push(`${req.method} ${new URL(req.url).pathname}`);
    const next = script.shift();
    return next ? next() : s3Error(500, "InternalError", "script exhausted");
  });
  const storage = createS3Storage({
    bucket: "scripted",
    prefix: "repo",
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    region: "us-east-1",
    accessKeyId: "AKIAEXAMPLE",
    secretAccessKey: "do-not-print-me",
    retryBaseDelayMs: 1,
  });
  try {
    await fn(storage, requests);
  } finally {
    await storage.close?.();
    await server.shutdown();
  }
}

Deno.test("createS3Storage() turns AWS error answers into one clear line", async (t) => {
  await t.step("an expired session token", () =>
    withScriptedS3(
      [() => s3Error(400, "ExpiredToken", "The provided token has expired.")],
      async (storage) => {
        await assert.rejects(
          Array.fromAsync(storage.list("")),
          (e) => assertOneLine(e, "access-denied", /session token has expired/, /sso login/),
        );
      },
    ));

  await t.step("access denied by a policy", () =>
    withScriptedS3(
      [() => s3Error(403, "AccessDenied", "Access Denied")],
      async (storage) => {
        await assert.rejects(
          storage.read("pool/a.deb"),
          (e) =>
            assertOneLine(
              e,
              "access-denied",
              /Cannot read "s3:\/\/scripted\/repo\/pool\/a\.deb": access denied/,
              /s3:GetObject/,
            ),
        );
      },
    ));

  await t.step("a bucket in another region", () =>
    withScriptedS3(
      [
        () =>
          s3Error(
            400,
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'",
            "<Region>eu-central-1</Region>",
          ),
        () =>
          s3Error(
            301,
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint.",
            "<Endpoint>scripted.s3.ap-south-1.amazonaws.com</Endpoint><Bucket>scripted</Bucket>",
          ),
      ],
      async (storage) => {
        await assert.rejects(
          storage.write("x", "y"),
          (e) =>
            assertOneLine(
              e,
              "storage",
              /s3:\/\/scripted": the bucket is in another region \(eu-central-1\)/,
              /--s3-region eu-central-1/,
            ),
        );
        await assert.rejects(
          storage.read("x"),
          (e) => assertOneLine(e, "storage", /another region/, /--s3-region/),
        );
      },
    ));

  await t.step(
    "a store refusing the public-read ACL (R2, buckets with ACLs disabled)",
    () =>
      withScriptedS3(
        [
          () => s3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs"),
          () =>
            s3Error(
              501,
              "NotImplemented",
              "Header 'x-amz-acl' with value 'public-read' not implemented",
            ),
        ],
        async (storage, requests) => {
          for (const name of ["AccessControlListNotSupported", "NotImplemented"]) {
            await assert.rejects(
              storage.write("dists/x/InRelease", "x", { publicRead: true }),
              (e) =>
                assertOneLine(
                  e,
                  "storage",
                  new RegExp(`does not accept the public-read ACL \\(${name}\\)`),
                  /bucket policy/,
                ),
            );
          }
          assert.equal(requests.length, 2, "not retried");
        },
      ),
  );

  await t.step("503 SlowDown is retried, then succeeds", () =>
    withScriptedS3(
      [
        () => s3Error(503, "SlowDown", "Please reduce your request rate."),
        () => s3Error(503, "SlowDown", "Please reduce your request rate."),
        () => new Response(null, { status: 200, headers: { etag: '"abc"' } }),
      ],
      async (storage, requests) => {
        assert.deepEqual(await storage.write("a", "b"), { etag: '"abc"' });
        assert.deepEqual(requests, [
          "PUT /scripted/repo/a",
          "PUT /scripted/repo/a",
          "PUT /scripted/repo/a",
        ]);
      },
    ));

  await t.step(
    "a server failing every time gives up with one line",
    () =>
      withScriptedS3([], async (storage, requests) => {
        await assert.rejects(
          storage.remove("a"),
          (e) =>
            assertOneLine(
              e,
              "storage",
              /Cannot remove "s3:\/\/scripted\/repo\/a": InternalError \(HTTP 500\)/,
              /try again later/,
            ) &&
            !formatError(e, { verbose: true }).includes("do-not-print-me"),
        );
        assert.ok(requests.length >= 4 && requests.length <= 8, `${requests.length} attempts`);
      }),
  );
});
