/**
 * Child process of read_deb_test.ts: reads a generated 300 MB .deb (never on disk) and prints
 * JSON with its size, digests and the peak memory growth seen while reading it.
 * @module
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { readDeb } from "../../../src/reader/deb/read_deb.ts";
import { arHeader, concat, CONTROL, tarArchive } from "./_make_deb.ts";

const encoder = new TextEncoder();
const dataSize = 300 * 1024 * 1024 + 1; // odd: exercises the ar pad byte at the end
const control = gzipSync(tarArchive([["./control", CONTROL]]));
const head = concat([
  encoder.encode("!<arch>\n"),
  arHeader("debian-binary", 4),
  encoder.encode("2.0\n"),
  arHeader("control.tar.gz", control.length),
  control,
  control.length % 2 ? encoder.encode("\n") : new Uint8Array(0),
  arHeader("data.tar.xz", dataSize),
]);
const block = new Uint8Array(1 << 20);
for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;

const memory = () => {
  const m = Deno.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
};
const expected = createHash("sha256");
const before = memory();
const peak = { ...before };
const sample = () => {
  const now = memory();
  peak.rss = Math.max(peak.rss, now.rss);
  peak.heap = Math.max(peak.heap, now.heap);
};
let sent = -1;
const stream = new ReadableStream<Uint8Array>({
  pull(controller) {
    let chunk: Uint8Array;
    if (sent < 0) {
      chunk = head;
      sent = 0;
    } else if (sent < dataSize) {
      chunk = block.subarray(0, Math.min(block.length, dataSize - sent));
      sent += chunk.length;
    } else if (sent === dataSize) {
      chunk = encoder.encode("\n");
      sent++;
    } else {
      controller.close();
      return;
    }
    expected.update(chunk);
    if ((sent >> 20) % 8 === 0) sample();
    controller.enqueue(chunk);
  },
}, { highWaterMark: 0 });

const pkg = await readDeb(stream, { key: "big.deb", hashes: ["md5", "sha256"] });
sample();
console.log(JSON.stringify({
  head: head.length,
  size: pkg.checksums.size,
  sha256: pkg.checksums.sha256,
  expected: expected.digest("hex"),
  rssGrowth: peak.rss - before.rss,
  heapGrowth: peak.heap - before.heap,
}));
