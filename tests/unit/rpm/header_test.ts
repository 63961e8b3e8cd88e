import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import { ByteReader } from "../../../src/reader/byte_reader.ts";
import { readHeader, readLead } from "../../../src/reader/rpm/header.ts";
import {
  MAX_ARRAY_COUNT,
  MAX_HEADER_EXPANSION,
  NUMBER_VALUE_COST,
  STRING_VALUE_COST,
} from "../../../src/reader/rpm/tag_map.ts";
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

Deno.test("readHeader() rejects a string array running past the data store", async () => {
  const header = encodeHeader([[Tag.BASENAMES, t.sa(["a", "b"])]], 63);
  // 15 strings where the data holds "a", "b" and the 16-byte region trailer (9 NULs)
  await assert.rejects(
    readHeader(reader(setCount(header, 0, 15)), "main"),
    (e) => e instanceof MkrepoError && e.key === "h.rpm" && /BASENAMES runs past/.test(e.reason),
  );
});

Deno.test("readHeader() rejects counts of 0, above the data size or above rpm's array cap", async () => {
  const header = encodeHeader([[Tag.FILEFLAGS, t.i32([1, 2])]], 63);
  await assert.rejects(readHeader(reader(setCount(header, 0, 0)), "main"), /count of 0/);
  await assert.rejects(readHeader(reader(setCount(header, 0, 100)), "main"), /count of 100/);
  const names = Array.from({ length: MAX_ARRAY_COUNT + 1 }, () => "");
  const big = encodeHeader([[Tag.BASENAMES, t.sa(names)]], 63);
  await assert.rejects(readHeader(reader(big), "main"), /claims 1048576 values/);
});

/** A header whose second entry's data starts inside the first one's (as crafted amplifiers do). */
function overlapping(): Uint8Array {
  const header = encodeHeader([
    [Tag.BASENAMES, t.sa(["", "", "", ""])],
    [Tag.DIRNAMES, t.sa(["/"])],
  ], 63);
  const copy = header.slice();
  const v = new DataView(copy.buffer);
  v.setInt32(16 + 2 * 16 + 8, 0); // DIRNAMES -> offset 0, BASENAMES' data
  v.setUint32(16 + 2 * 16 + 12, 4);
  return copy;
}

Deno.test("readHeader() rejects entries sharing data, as rpm's hdrblobVerifyInfo", async () => {
  await assert.rejects(
    readHeader(reader(overlapping()), "main"),
    (e) =>
      e instanceof MkrepoError && /DIRNAMES starts at byte 0 of the data, inside/.test(e.reason),
  );
});

Deno.test("readHeader() rejects data not aligned for its type", async () => {
  const header = encodeHeader([[Tag.NAME, t.s("ab")], [Tag.FILEFLAGS, t.i32([1])]], 63);
  const copy = header.slice();
  new DataView(copy.buffer).setInt32(16 + 2 * 16 + 8, 5);
  await assert.rejects(readHeader(reader(copy), "main"), /not aligned/);
});

Deno.test("TagMap estimates and caps what decoding costs", async () => {
  const names = Array.from({ length: 1000 }, (_, i) => `f${i}`);
  const header = encodeHeader([
    [Tag.BASENAMES, t.sa(names)],
    [Tag.FILEFLAGS, t.i32(names.map(() => 0))],
  ], 63);
  const { tags } = await readHeader(reader(header), "main");
  assert.equal(
    tags.expansionBound([Tag.BASENAMES, Tag.FILEFLAGS, Tag.NAME]),
    1000 * STRING_VALUE_COST + 1000 * NUMBER_VALUE_COST,
  );
  assert.equal(tags.strings(Tag.BASENAMES)!.length, 1000);
  // the cap: a header of 1 Mi - 1 empty names, decoded twice, costs more than it allows
  const many = Array.from({ length: MAX_ARRAY_COUNT }, () => "");
  const big = await readHeader(reader(encodeHeader([[Tag.BASENAMES, t.sa(many)]], 63)), "main");
  assert.equal(big.tags.expansionBound([Tag.BASENAMES, Tag.BASENAMES]), MAX_ARRAY_COUNT * 128);
  assert.ok(MAX_ARRAY_COUNT * STRING_VALUE_COST * 2 > MAX_HEADER_EXPANSION);
  big.tags.strings(Tag.BASENAMES);
  assert.throws(() => big.tags.strings(Tag.BASENAMES), /past the \d+-byte limit/);
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
