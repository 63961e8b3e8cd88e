/**
 * encodeIndex(): the xz form of an index is one .xz stream that xzcat, Python's lzma and
 * mkrepo's own reader decode to the open bytes: at preset 6 in one block, at preset 6 in two
 * blocks compressed at once (large indexes), and at the fast preset (very large ones), also when
 * the text comes in pieces and passes the line midway.
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

/** Streams and blocks of an .xz file, as `xz --list --robot` counts them. */
async function xzLayout(xz: Uint8Array): Promise<{ streams: number; blocks: number }> {
  const file = await Deno.makeTempFile({ suffix: ".xz" });
  try {
    await Deno.writeFile(file, xz);
    const out = await new Deno.Command("xz", { args: ["--list", "--robot", file] }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const line = new TextDecoder().decode(out.stdout).split("\n").find((l) =>
      l.startsWith("file\t")
    );
    const [, streams, blocks] = line!.split("\t");
    return { streams: Number(streams), blocks: Number(blocks) };
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
    assert.deepEqual(await xzLayout(xz), { streams: 1, blocks });
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
