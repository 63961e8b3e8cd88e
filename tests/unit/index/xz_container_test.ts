/**
 * xzStream(): raw LZMA2 blocks from the addon, each with its own dictionary, make one .xz
 * stream that xz (stopping after one stream), Python's lzma and mkrepo's own reader decode to
 * the texts in order; `xz --list` sees one stream, one block per part and CRC32 checks. An empty
 * text is a stream without blocks, as xz writes it. lzma2DictSize() names sizes LZMA2 can carry,
 * no larger than the text.
 */
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { Lzma2Compressor } from "@napi-rs/lzma";
import { lzma2DictSize, xzStream } from "../../../src/index/xz_container.ts";
import { decompress } from "../../../src/util/decompress.ts";

async function tool(cmd: string, args: string[], input: Uint8Array): Promise<string> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([child.output(), writer.write(input).then(() => writer.close())]);
  assert.ok(out.success, `${cmd} ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

async function block(text: Uint8Array) {
  const dictSize = lzma2DictSize(text.length, 8 << 20);
  const encoder = new Lzma2Compressor({ preset: 6, dictSize });
  const head = encoder.update(text);
  const tail = await encoder.finish();
  return { lzma2: [head, tail], size: text.length, crc32: crc32(text), dictSize };
}

/** Streams, blocks and check name of an .xz file, as `xz --list --robot` gives them. */
async function listed(xz: Uint8Array): Promise<string[]> {
  const file = await Deno.makeTempFile({ suffix: ".xz" });
  try {
    await Deno.writeFile(file, xz);
    const out = await new Deno.Command("xz", { args: ["--list", "--robot", file] }).output();
    assert.ok(out.success);
    const line = new TextDecoder().decode(out.stdout).split("\n").find((l) =>
      l.startsWith("file\t")
    )!;
    const f = line.split("\t");
    return [f[1], f[2], f[6]];
  } finally {
    await Deno.remove(file);
  }
}

const encoder = new TextEncoder();
const texts = [
  "Package: one\n\n",
  "Package: two\nDescription: ü € 𝄞\n\n".repeat(20_000),
  "Package: three\n\n".repeat(3),
].map((t) => encoder.encode(t));

Deno.test("xzStream() makes one stream of blocks that xz, Python and decompress() read", async () => {
  const xz = xzStream(await Promise.all(texts.map(block)));
  const whole = new TextDecoder().decode(new Uint8Array(texts.flatMap((t) => [...t])));
  // --single-stream: xz stops after one stream, so the whole text proves one stream.
  assert.equal(await tool("xz", ["-dc", "--single-stream"], xz), whole);
  const py = "import lzma,sys; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read()))";
  assert.equal(await tool("python3", ["-c", py], xz), whole);
  const ours = decompress(new Blob([new Uint8Array(xz)]).stream(), "xz", {
    key: "Packages.xz",
    name: "Packages.xz",
    maxOutput: 1 << 26,
  });
  assert.equal(await new Response(ours).text(), whole);
  assert.deepEqual(await listed(xz), ["1", "3", "CRC32"]);
});

Deno.test("xzStream() of no block is the empty stream xz writes", async () => {
  const xz = await new Deno.Command("xz", {
    args: ["-c", "--check=crc32"],
    stdin: "null",
    stdout: "piped",
  }).output();
  assert.deepEqual(xzStream([]), xz.stdout);
});

Deno.test("lzma2DictSize() gives the largest size LZMA2 names that is no larger than the text", () => {
  assert.equal(lzma2DictSize(0, 8 << 20), 4096);
  assert.equal(lzma2DictSize(4096, 8 << 20), 4096);
  assert.equal(lzma2DictSize(6143, 8 << 20), 4096);
  assert.equal(lzma2DictSize(6144, 8 << 20), 6144);
  assert.equal(lzma2DictSize(150_000, 8 << 20), 131_072);
  assert.equal(lzma2DictSize(2_178_000, 8 << 20), 2 << 20);
  assert.equal(lzma2DictSize(3 << 20, 8 << 20), 3 << 20);
  assert.equal(lzma2DictSize(50 << 20, 8 << 20), 8 << 20);
});
