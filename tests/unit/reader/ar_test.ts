import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import { ByteReader } from "../../../src/reader/byte_reader.ts";
import { readArMagic, readArMembers } from "../../../src/reader/deb/ar.ts";
import { arArchive, arHeader, concat, streamOf } from "./_make_deb.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Lists members as [name, size, data read in full]; every member read unless `skip`. */
async function list(bytes: Uint8Array, skip = false): Promise<[string, number, string][]> {
  const reader = new ByteReader(streamOf(bytes, 5), { key: "a.ar" });
  await readArMagic(reader);
  const out: [string, number, string][] = [];
  for await (const m of readArMembers(reader)) {
    const data = skip ? "" : decoder.decode(await reader.readExact(m.size));
    out.push([m.name, m.size, data]);
  }
  assert.equal(reader.offset, bytes.length);
  return out;
}

Deno.test("readArMembers() reads plain, GNU and BSD member names with odd padding", async () => {
  const gnuTable = "a-very-long-member-name.tar.xz/\nsecond-long-member-name.txt/\n";
  const bytes = concat([
    encoder.encode("!<arch>\n"),
    arHeader("debian-binary", 4),
    encoder.encode("2.0\n"),
    arHeader("control.tar/", 3),
    encoder.encode("abc\n"),
    arHeader("//", gnuTable.length),
    encoder.encode(gnuTable + "\n"), // 61 bytes: padded
    arHeader("/32", 2),
    encoder.encode("xy"),
    arHeader("#1/20", 25),
    encoder.encode("control.tar.unknown\0hello"),
    encoder.encode("\n"),
  ]);
  assert.deepEqual(await list(bytes), [
    ["debian-binary", 4, "2.0\n"],
    ["control.tar", 3, "abc"],
    ["second-long-member-name.txt", 2, "xy"],
    ["control.tar.unknown", 5, "hello"],
  ]);
});

Deno.test("readArMembers() decodes a member name outside ASCII as TextDecoder's latin1 does", async () => {
  const header = arHeader("x", 3);
  header.set([0x63, 0x61, 0x66, 0xe9, 0x80, 0x20], 0); // blanks follow: 16 bytes in all
  const bytes = concat([encoder.encode("!<arch>\n"), header, encoder.encode("abc\n")]);
  // WHATWG's "latin1" is windows-1252: 0xe9 is "é", 0x80 is "€" (not U+0080).
  assert.deepEqual(await list(bytes), [["caf\u00e9\u20ac", 3, "abc"]]);
});

Deno.test("readArMembers() skips what the caller leaves unread", async () => {
  const bytes = arArchive([["one", "12345"], ["two", "6"], ["three", ""]]);
  assert.deepEqual(await list(bytes, true), [["one", 5, ""], ["two", 1, ""], ["three", 0, ""]]);
});

Deno.test("readArMembers() accepts a missing pad byte at the very end", async () => {
  const bytes = arArchive([["one", "123"]]);
  assert.deepEqual(await list(bytes.subarray(0, bytes.length - 1)), [["one", 3, "123"]]);
});

async function failure(bytes: Uint8Array): Promise<MkrepoError> {
  try {
    await list(bytes, true);
  } catch (e) {
    assert.ok(e instanceof MkrepoError, String(e));
    assert.equal(e.key, "a.ar");
    assert.equal(e.code, "malformed-package");
    return e;
  }
  assert.fail("no error");
}

Deno.test("readArMembers() rejects hostile and corrupt headers", async () => {
  const magic = encoder.encode("!<arch>\n");
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /empty file/],
    [encoder.encode("PK\x03\x04 not an ar"), /not an ar archive/],
    [concat([magic, arHeader("x", 5, "XX")]), /at byte 8: .*end marker/],
    [concat([magic, arHeader("x", "")]), /invalid size ""/],
    [concat([magic, arHeader("x", "12a")]), /invalid size "12a"/],
    [concat([magic, arHeader("x", "-1")]), /invalid size "-1"/],
    [concat([magic, arHeader("x", 9999999999)]), /file ends inside ar member "x"/],
    [concat([magic, arHeader("x", 4), encoder.encode("ab")]), /file ends inside/],
    [concat([magic, encoder.encode("debian-binary   0")]), /file ends inside an ar member header/],
    [concat([magic, arHeader("#1/30", 10)]), /name length 30 is invalid/],
    [concat([magic, arHeader("/5", 1), encoder.encode("x\n")]), /long name \/5 not found/],
    [concat([magic, arHeader("//", 5_000_000)]), /name table of 5000000 bytes is too large/],
  ];
  for (const [bytes, pattern] of cases) {
    const e = await failure(bytes);
    assert.match(e.message, pattern);
  }
});
