import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import { ByteReader } from "../../../src/reader/byte_reader.ts";
import { MAX_ARRAY_COUNT, readHeader, readLead } from "../../../src/reader/rpm/header.ts";
import { Tag } from "../../../src/reader/rpm/tags.ts";
import { fixture } from "../../_helpers/fixtures.ts";
import { encodeHeader, t } from "./rpm_builder.ts";

function reader(bytes: Uint8Array, key = "h.rpm"): ByteReader {
  return new ByteReader(ReadableStream.from([bytes]), { key });
}

/** Sets the count of index entry `i` (after the region entry) of an encoded header. */
function setCount(header: Uint8Array, i: number, count: number): Uint8Array {
  const copy = header.slice();
  new DataView(copy.buffer).setUint32(16 + (i + 1) * 16 + 12, count);
  return copy;
}

Deno.test("readLead() + readHeader() give createrepo_c's header range", async () => {
  const file = await Deno.open(fixture("rpm/ngircd-22-2.fc22.x86_64.rpm"));
  const r = new ByteReader(file.readable, { key: "ngircd.rpm" });
  const lead = await readLead(r);
  assert.equal(lead.major, 3);
  const sig = await readHeader(r, "signature");
  assert.equal(sig.start, 96);
  const main = await readHeader(r, "main");
  assert.deepEqual([main.start, main.end], [4392, 15924]);
  assert.equal(new TextDecoder().decode(main.tags.string(Tag.NAME)), "ngircd");
  await r.cancel();
});

Deno.test("TagMap rejects a string array running past the data store", async () => {
  const header = encodeHeader([[Tag.BASENAMES, t.sa(["a", "b"])]], 63);
  const { tags } = await readHeader(reader(setCount(header, 0, 1000)), "main");
  assert.throws(
    () => tags.strings(Tag.BASENAMES),
    (e) => e instanceof MkrepoError && e.key === "h.rpm" && /BASENAMES runs past/.test(e.reason),
  );
});

Deno.test("TagMap rejects integer arrays longer than the cap or the data", async () => {
  const header = encodeHeader([[Tag.FILEFLAGS, t.i32([1, 2])]], 63);
  const big = await readHeader(reader(setCount(header, 0, MAX_ARRAY_COUNT + 1)), "main");
  assert.throws(() => big.tags.numbers(Tag.FILEFLAGS), /claims/);
  const past = await readHeader(reader(setCount(header, 0, 100)), "main");
  assert.throws(() => past.tags.numbers(Tag.FILEFLAGS), /runs past/);
});

Deno.test("readHeader() rejects entries pointing outside the data store and bad magic", async () => {
  const header = encodeHeader([[Tag.NAME, t.s("x")]], 63);
  const bad = header.slice();
  new DataView(bad.buffer).setInt32(16 + 16 + 8, 4096);
  await assert.rejects(readHeader(reader(bad), "main"), /points outside its data/);
  const magic = header.slice();
  magic[0] = 0;
  await assert.rejects(readHeader(reader(magic), "main"), /header magic/);
});

Deno.test("readHeader() reads a large header in pieces", async () => {
  const names = Array.from({ length: 200_000 }, (_, i) => `file-${i}`);
  const header = encodeHeader([[Tag.BASENAMES, t.sa(names)]], 63);
  assert.ok(header.length > 1 << 20);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < header.length; i += 65536) chunks.push(header.subarray(i, i + 65536));
  const r = new ByteReader(ReadableStream.from(chunks), { key: "big.rpm" });
  const { tags, end } = await readHeader(r, "main");
  assert.equal(end, header.length);
  assert.equal(tags.strings(Tag.BASENAMES)!.length, 200_000);
});
