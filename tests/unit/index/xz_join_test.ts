/**
 * joinXzStreams(): streams made by the xz tool (any check type, several blocks each) join into
 * one stream that xz decodes to the parts' texts in order; what is not one whole stream, or
 * mixes check types, or is damaged, is refused with the part named.
 */
import assert from "node:assert/strict";
import { joinXzStreams } from "../../../src/index/xz_join.ts";

async function xz(args: string[], input: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("xz", { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([child.output(), writer.write(input).then(() => writer.close())]);
  assert.ok(out.success, `xz ${args.join(" ")} failed`);
  return out.stdout;
}

const texts = ["first part\n", "second ".repeat(50_000), "third\n"].map((t) =>
  new TextEncoder().encode(t)
);

Deno.test("joinXzStreams() makes one stream whose blocks decode to the parts in order", async () => {
  for (const check of ["crc32", "crc64", "sha256", "none"]) {
    const parts = await Promise.all([
      xz(["-c", `--check=${check}`], texts[0]),
      // Several blocks in one part, as `xz --threads` writes them.
      xz(["-c", `--check=${check}`, "--block-size=100000"], texts[1]),
      xz(["-c", `--check=${check}`], texts[2]),
    ]);
    const joined = joinXzStreams(parts);
    const expected = new Uint8Array([...texts[0], ...texts[1], ...texts[2]]);
    // --single-stream: xz stops after one stream, so the whole text proves one stream.
    assert.deepEqual(await xz(["-dc", "--single-stream"], joined), expected, check);
    assert.deepEqual(await xz(["-t", "-c"], joined), new Uint8Array(0), check);
  }
});

Deno.test("joinXzStreams() refuses parts that are not whole streams of one check type", async () => {
  const a = await xz(["-c"], texts[0]);
  const b = await xz(["-c"], texts[2]);
  const crc32 = await xz(["-c", "--check=crc32"], texts[2]);
  const damaged = (bytes: Uint8Array, at: number) => {
    const copy = bytes.slice();
    copy[at] ^= 1;
    return copy;
  };
  const cases: [Uint8Array[], RegExp][] = [
    [[a, crc32], /xz part 2: stream flags differ/],
    [[a, new Uint8Array([...b, ...b])], /xz part 2: .*(index|block)/],
    [[a, b.subarray(0, b.length - 1)], /xz part 2: no stream footer magic/],
    [[a, new Uint8Array([...b, 0, 0, 0, 0])], /xz part 2: no stream footer magic/],
    [[damaged(a, 0), b], /xz part 1: no stream header magic/],
    [[a, damaged(b, b.length - 16)], /xz part 2: index CRC32/],
    [[a, damaged(b, b.length - 8)], /xz part 2: footer CRC32/],
    [[new Uint8Array(5), b], /xz part 1: shorter than/],
  ];
  for (const [parts, message] of cases) assert.throws(() => joinXzStreams(parts), message);
});
