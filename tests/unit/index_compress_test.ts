/**
 * encodeIndex(): the xz form of a large index (fast preset) is a plain .xz stream that xzcat,
 * Python's lzma and mkrepo's own reader decode to the open bytes, as the preset 6 form is.
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

for (const [label, fastAbove] of [["preset 6", Infinity], ["fast preset", 1024]] as const) {
  Deno.test(`encodeIndex() writes xz (${label}) that xzcat, Python lzma and decompress() read`, async () => {
    const { open, outputs } = await encodeIndex([text], ["none", "gzip", "xz"], ["sha256"], {
      xzFastAbove: fastAbove,
    });
    const xz = outputs.get("xz")!.data;
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
