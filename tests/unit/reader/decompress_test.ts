import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { MkrepoError } from "../../../src/errors.ts";
import { compressionOf, decompress } from "../../../src/util/decompress.ts";
import { fixture } from "../../_helpers/fixtures.ts";
import { requireTool } from "../../_helpers/reference_tools.ts";
import { streamOf } from "./_make_deb.ts";

const MiB = 1024 * 1024;

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function sample(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i % 251) ^ (i >> 9);
  return bytes;
}

function isDecompressError(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof MkrepoError, String(e));
    assert.equal(e.code, "malformed-package");
    assert.equal(e.key, "k");
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("compressionOf() picks the decompressor by suffix", () => {
  const key = { key: "k" };
  assert.equal(compressionOf("control.tar", "control.tar", key), "none");
  assert.equal(compressionOf("control.tar.gz", "control.tar", key), "gzip");
  assert.equal(compressionOf("control.tar.xz", "control.tar", key), "xz");
  assert.equal(compressionOf("control.tar.zst", "control.tar", key), "zstd");
  for (const name of ["control.tar.unknown", "control.tar.bz2", "control.tarx", "data.tar.gz"]) {
    assert.throws(
      () => compressionOf(name, "control.tar", key),
      isDecompressError(/unknown compression/),
    );
  }
});

Deno.test("decompress() decodes gzip, zstd and plain data", async () => {
  const plain = sample(3 * MiB + 17);
  const inputs = [
    ["gzip", gzipSync(plain)],
    ["zstd", zstdCompressSync(plain)],
    ["none", plain],
  ] as const;
  for (const [compression, bytes] of inputs) {
    const out = await collect(
      decompress(streamOf(new Uint8Array(bytes), 65536), compression, {
        key: "k",
        name: "x",
        maxOutput: 4 * MiB,
      }),
    );
    assert.equal(out.length, plain.length, compression);
    assert.deepEqual(out, plain, compression);
  }
});

Deno.test("decompress() decodes xz", async () => {
  const xz = await Deno.readFile(fixture("deb/hello_2.10-3.debian.tar.xz"));
  const out = await collect(
    decompress(streamOf(xz, 1000), "xz", { key: "k", name: "x.xz", maxOutput: 10 * MiB }),
  );
  assert.ok(out.length > xz.length);
  // A tar archive: "ustar" magic at offset 257 of the first header.
  assert.equal(new TextDecoder().decode(out.subarray(257, 262)), "ustar");
  const again = await collect(
    decompress(streamOf(xz), "xz", { key: "k", name: "x.xz", maxOutput: 10 * MiB }),
  );
  assert.equal(
    createHash("sha256").update(again).digest("hex"),
    createHash("sha256").update(out).digest("hex"),
  );
});

/** Runs a tool with `input` on stdin; its stdout as bytes (throws on a non-zero exit). */
async function pipe(tool: string, args: string[], input: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(requireTool(tool), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output(); // read while writing: the input is larger than a pipe
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const out = await output;
  if (!out.success) {
    throw new Error(`${tool} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** 6 MiB mixing incompressible runs and repetitive text, so each format makes many blocks. */
function mixed(): Uint8Array {
  const out = new Uint8Array(6 * MiB + 12345);
  let x = 12345;
  for (let i = 0; i < out.length; i++) {
    if ((i >> 16) % 3 === 0) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[i] = x >>> 24;
    } else out[i] = "line of text, again and again\n".charCodeAt(i % 30);
  }
  return out;
}

Deno.test("decompress() gives what xz -d, zstd -d and gzip -d give, far past the buffer sizes", async () => {
  const plain = mixed();
  const debianTarXz = await Deno.readFile(fixture("deb/hello_2.10-3.debian.tar.xz"));
  const cases: ["xz" | "zstd" | "gzip", Uint8Array][] = [
    ["xz", await pipe("xz", ["-c", "-1"], plain)],
    ["xz", await pipe("xz", ["-c", "-6", "--check=crc32", "--block-size=1MiB"], plain)],
    ["xz", debianTarXz],
    ["zstd", await pipe("zstd", ["-c", "-q", "-3"], plain)],
    ["zstd", await pipe("zstd", ["-c", "-q", "-12", "--no-check", "-B1MiB"], plain)],
    ["gzip", await pipe("gzip", ["-c", "-1"], plain)],
    ["gzip", await pipe("gzip", ["-c", "-9", "-n"], plain)],
  ];
  for (const [, bytes] of cases.slice(0, 2)) assert.ok(bytes.length > 2 * MiB);
  for (const [compression, bytes] of cases) {
    // what the reference tool decodes, not the input we made: the fixture is someone else's
    const expected = await pipe(compression, ["-d", "-c"], bytes);
    assert.ok(expected.length > 32 * 1024, `${compression}: only ${expected.length} bytes`);
    for (const chunk of [1000, 65536, 3 * MiB]) {
      const out = await collect(
        decompress(streamOf(bytes, chunk), compression, {
          key: "k",
          name: "x",
          maxOutput: 16 * MiB,
        }),
      );
      const what = `${compression} (${bytes.length} bytes, chunks of ${chunk})`;
      assert.equal(out.length, expected.length, `${what}: length`);
      assert.ok(Buffer.compare(out, expected) === 0, `${what}: bytes differ`);
    }
  }
});

Deno.test("decompress() stops a gzip bomb at the limit with bounded chunks", async () => {
  const bomb = gzipSync(new Uint8Array(64 * MiB)); // ~64 KiB compressed
  const reader = decompress(streamOf(bomb), "gzip", {
    key: "k",
    name: "bomb.gz",
    maxOutput: 8 * MiB,
  }).getReader();
  let largest = 0;
  await assert.rejects(
    (async () => {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        largest = Math.max(largest, value.length);
      }
    })(),
    isDecompressError(/bomb\.gz: decompresses to more than 8388608 bytes/),
  );
  assert.ok(largest <= 9 * MiB, `largest chunk ${largest}`);
});

Deno.test("decompress() caps xz and zstd output", async () => {
  const xz = await Deno.readFile(fixture("deb/hello_2.10-3.debian.tar.xz"));
  await assert.rejects(
    collect(decompress(streamOf(xz), "xz", { key: "k", name: "a.xz", maxOutput: 1000 })),
    isDecompressError(/a\.xz: decompresses to more than 1000 bytes/),
  );
  const zst = zstdCompressSync(new Uint8Array(32 * MiB));
  await assert.rejects(
    collect(decompress(streamOf(zst), "zstd", { key: "k", name: "a.zst", maxOutput: MiB })),
    isDecompressError(/a\.zst: decompresses to more than/),
  );
  // The xz lock was released by the cancellation: xz still decodes.
  const out = await collect(
    decompress(streamOf(xz), "xz", { key: "k", name: "a.xz", maxOutput: 10 * MiB }),
  );
  assert.ok(out.length > 0);
});

Deno.test("decompress() reports corrupt, truncated and empty input", async () => {
  const xz = await Deno.readFile(fixture("deb/hello_2.10-3.debian.tar.xz"));
  const gz = gzipSync(sample(100_000));
  const flipped = (bytes: Uint8Array, at: number) => {
    const copy = bytes.slice();
    copy[at] ^= 0xff;
    return copy;
  };
  const cases: [Uint8Array, "gzip" | "xz" | "zstd", RegExp][] = [
    [xz.subarray(0, 5000), "xz", /corrupt xz data \(truncated data\)/],
    [flipped(xz, 3000), "xz", /corrupt xz data/],
    [new Uint8Array(0), "xz", /empty compressed data/],
    [new TextEncoder().encode("not xz at all"), "xz", /corrupt xz data \(not xz data/],
    [gz.subarray(0, gz.length - 8), "gzip", /corrupt gzip data/],
    [flipped(gz, 500), "gzip", /corrupt gzip data/],
    [new Uint8Array(0), "gzip", /corrupt gzip data/],
    [new TextEncoder().encode("not zstd at all"), "zstd", /corrupt zstd data/],
  ];
  for (const [bytes, compression, pattern] of cases) {
    await assert.rejects(
      collect(decompress(streamOf(bytes, 4096), compression, {
        key: "k",
        name: "m",
        maxOutput: 10 * MiB,
      })),
      isDecompressError(pattern),
      `${compression} ${pattern}`,
    );
  }
});

Deno.test("decompress() passes on the input's own MkrepoError", async () => {
  const failing = () =>
    new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new MkrepoError({ code: "storage", key: "k", reason: "reset" }));
      },
    });
  for (const compression of ["gzip", "xz", "zstd", "none"] as const) {
    await assert.rejects(
      collect(decompress(failing(), compression, { key: "k", name: "m", maxOutput: 100 })),
      (e: unknown) => e instanceof MkrepoError && e.code === "storage",
      compression,
    );
  }
});
