/**
 * encodeIndex(): the xz form of an index is one .xz stream that xzcat, Python's lzma and
 * mkrepo's own reader decode to the open bytes: at preset 6 in one block, at preset 6 in two
 * blocks compressed at once (large indexes), and at the fast preset (very large ones), also when
 * the text comes in pieces and passes the line midway; no block has a dictionary over 1 MiB; an
 * empty index has no block.
 */
import assert from "node:assert/strict";
import { encodeIndex } from "../../src/index/compress.ts";
import { decompress } from "../../src/util/decompress.ts";
import { hashBytes } from "../../src/util/multi_hasher.ts";

async function decodeWith(cmd: string, args: string[], data: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([
    child.output(),
    writer.write(data).then(() => writer.close()),
  ]);
  assert.ok(out.success, `${cmd} failed`);
  return out.stdout;
}

const text = Array.from(
  { length: 3000 },
  (_, i) => `Package: p${i}\nVersion: 1.${i % 7}\nDescription: entry ${i}\n\n`,
).join("");

/**
 * Streams and blocks of an .xz file, as `xz --list --robot -vv` counts them, and each block's
 * filter chain ("--lzma2=dict=1MiB").
 */
async function xzLayout(
  xz: Uint8Array,
): Promise<{ streams: number; blocks: number; filters: string[] }> {
  const file = await Deno.makeTempFile({ suffix: ".xz" });
  try {
    await Deno.writeFile(file, xz);
    const out = await new Deno.Command("xz", { args: ["--list", "--robot", "-vv", file] })
      .output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const lines = new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split("\t"));
    const [, streams, blocks] = lines.find(([kind]) => kind === "file")!;
    const filters = lines.filter(([kind]) => kind === "block").map((fields) => fields.at(-1)!);
    return { streams: Number(streams), blocks: Number(blocks), filters };
  } finally {
    await Deno.remove(file);
  }
}

const cases = [
  { label: "preset 6", fastAbove: Infinity, splitAbove: Infinity, blocks: 1 },
  { label: "preset 6, two blocks", fastAbove: Infinity, splitAbove: 1024, blocks: 2 },
  { label: "fast preset", fastAbove: 1024, splitAbove: Infinity, blocks: 1 },
  // The fast preset starts past 1 KiB of a text given in small pieces, then encodes as it comes.
  {
    label: "fast preset, text in pieces",
    fastAbove: 1024,
    splitAbove: Infinity,
    blocks: 1,
    piece: 100,
  },
];
for (const { label, fastAbove, splitAbove, blocks, piece } of cases) {
  Deno.test(`encodeIndex() writes xz (${label}) that xzcat, Python lzma and decompress() read`, async () => {
    const chunks = piece ? text.match(new RegExp(`[^]{1,${piece}}`, "g"))! : [text];
    const { open, outputs } = await encodeIndex(chunks, ["none", "gzip", "xz"], ["sha256"], {
      xzFastAbove: fastAbove,
      xzSplitAbove: splitAbove,
    });
    const xz = outputs.get("xz")!.data;
    const layout = await xzLayout(xz);
    assert.deepEqual({ streams: layout.streams, blocks: layout.blocks }, { streams: 1, blocks });
    const plain = new TextEncoder().encode(text);
    assert.equal(open.sha256, hashBytes(plain, ["sha256"]).sha256);
    assert.deepEqual(await decodeWith("xzcat", [], xz), plain);
    const py = "import lzma,sys; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read()))";
    assert.deepEqual(await decodeWith("python3", ["-c", py], xz), plain);
    const ours = decompress(new Blob([new Uint8Array(xz)]).stream(), "xz", {
      key: "Packages.xz",
      name: "Packages.xz",
      maxOutput: 1 << 26,
    });
    assert.deepEqual(new Uint8Array(await new Response(ours).arrayBuffer()), plain);
    // The two presets give different bytes (the option takes effect).
    const other = await encodeIndex([text], ["xz"], ["sha256"], {
      xzFastAbove: fastAbove === Infinity ? 1024 : Infinity,
    });
    assert.notDeepEqual(other.outputs.get("xz")!.data, xz);
  });
}

Deno.test("encodeIndex() gives no xz block a dictionary over 1 MiB (encoder and decoder memory)", async () => {
  // 3.5 MB: two halves of 1.75 MB at preset 6, which would otherwise get 1.5 MiB each.
  const large = Array.from(
    { length: 40_000 },
    (_, i) =>
      `Package: lib${i}-${(i * 7919) % 10007}\nVersion: ${i % 13}.${i % 101}-${i}\n` +
      `Description: entry ${i} of a large index\nSize: ${i * 31}\n\n`,
  ).join("");
  assert.ok(large.length > 3_000_000);
  const { outputs } = await encodeIndex([large], ["xz"], ["sha256"]);
  const layout = await xzLayout(outputs.get("xz")!.data);
  assert.deepEqual(layout, {
    streams: 1,
    blocks: 2,
    filters: ["--lzma2=dict=1MiB", "--lzma2=dict=1MiB"],
  });
  // The fast preset's single block, too.
  const fast = await encodeIndex([large], ["xz"], ["sha256"], { xzFastAbove: 1024 });
  assert.deepEqual((await xzLayout(fast.outputs.get("xz")!.data)).filters, ["--lzma2=dict=1MiB"]);
});

Deno.test("encodeIndex() of an empty index writes xz's empty stream: no block, and it decodes to nothing", async () => {
  const { open, outputs } = await encodeIndex([], ["none", "xz"], ["sha256"]);
  assert.equal(open.size, 0);
  const xz = outputs.get("xz")!.data;
  assert.deepEqual(await xzLayout(xz), { streams: 1, blocks: 0, filters: [] });
  assert.equal((await decodeWith("xzcat", [], xz)).length, 0);
});
