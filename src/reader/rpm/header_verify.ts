/**
 * rpm's `hdrblobVerifyInfo` (lib/header.c) on a header's index, before any value is decoded:
 * a count of 1 up to the data size, at most HEADER_ARRAY_MAX values for an array, the offset
 * aligned for its type, the values fitting in the data store, and — the rule that keeps a
 * header from expanding — each entry's data starting at or after the end of the previous
 * entry's (in index order, the region entry aside). So no two entries share bytes, and a header
 * holds at most one value per data byte: a few MiB of header can no longer claim a million
 * values in each of dozens of tags all pointing at one shared block.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import { MAX_ARRAY_COUNT, TYPE_SIZE } from "./tag_map.ts";
import { tagName, TagType } from "./tags.ts";

/**
 * Region tags (rpm's RPMTAG_HEADERIMAGE, HEADERSIGNATURES, HEADERIMMUTABLE): as the first
 * entry, its data is the region trailer at the end of the store, outside the order rule.
 */
const REGION_TAGS = new Set([61, 62, 63]);
/** Alignment of each type's data (rpm's typeAlign, lib/header.c). */
const TYPE_ALIGN: Record<number, number> = {
  [TagType.INT16]: 2,
  [TagType.INT32]: 4,
  [TagType.INT64]: 8,
};

/**
 * Bytes the data of an entry takes (rpm's dataLength on disk): `count` NUL-terminated strings,
 * or `count` fixed-size values; undefined when it does not fit before `end`.
 */
function dataLength(data: Uint8Array, type: number, offset: number, count: number, end: number) {
  if (type === TagType.STRING || type === TagType.STRING_ARRAY || type === TagType.I18NSTRING) {
    if (type === TagType.STRING && count !== 1) return undefined;
    let at = offset;
    for (let i = 0; i < count; i++) {
      const nul = data.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      at = nul + 1;
    }
    return at - offset;
  }
  const length = (type === TagType.BIN ? 1 : TYPE_SIZE[type] ?? 0) * count;
  return type === TagType.NULL || offset + length > end ? undefined : length;
}

/**
 * rpm's hdrblobVerifyInfo (lib/header.c) on the index as read, before any value is decoded:
 * count, array size, alignment and fit of every entry, and no entry's data starting before the
 * end of the previous one's (the first entry aside when it is a region tag).
 */
export function verifyEntries(
  key: string,
  what: string,
  index: DataView,
  data: Uint8Array,
  il: number,
  dataStart: number,
): void {
  const dl = data.length;
  let previousEnd = 0;
  let at = 0;
  let tag = 0;
  const bad = (reason: string) =>
    new MkrepoError({
      code: "malformed-package",
      key,
      offset: dataStart - il * 16 + at,
      reason: `${what} entry for tag ${tagName[tag] ?? tag} ${reason}`,
    });
  for (let i = REGION_TAGS.has(index.getUint32(0)) ? 1 : 0; i < il; i++) {
    at = i * 16;
    tag = index.getUint32(at);
    const type = index.getUint32(at + 4);
    const offset = index.getInt32(at + 8);
    const count = index.getUint32(at + 12);
    if (count < 1 || count > dl) throw bad(`has a count of ${count} (allowed 1..${dl})`);
    if (type !== TagType.BIN && count > MAX_ARRAY_COUNT) {
      throw bad(`claims ${count} values (limit ${MAX_ARRAY_COUNT})`);
    }
    if (offset % (TYPE_ALIGN[type] ?? 1) !== 0) {
      throw bad(`is not aligned for its type (offset ${offset})`);
    }
    if (offset < previousEnd) {
      throw bad(
        `starts at byte ${offset} of the data, inside the previous entry's data (which ends at ` +
          `${previousEnd}): entries may not share data`,
      );
    }
    const length = dataLength(data, type, offset, count, dl);
    if (length === undefined || length < 1) throw bad("runs past the end of the data store");
    previousEnd = offset + length;
  }
}
