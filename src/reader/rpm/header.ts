/**
 * The three structures at the start of an rpm file: the 96-byte lead, the signature header
 * (padded to 8 bytes) and the main header. Each header is read with one await for its 16-byte
 * intro and one for its index + data store, then parsed with a DataView.
 *
 * Limits (as rpm's own `hdrblobRead`, lib/header.c): a signature header holds at most 32 index
 * entries and 64 MiB of data, a main header at most 0xffff entries and 0x0fffffff bytes
 * (256 MiB - 1); larger claims are rejected before any allocation.
 *
 * Every entry is then checked as rpm's `hdrblobVerifyInfo` does (lib/header.c), before any value
 * is decoded: a count of 1 up to the data size, at most HEADER_ARRAY_MAX values for an array,
 * the offset aligned for its type, the values fitting in the data store, and — the rule that
 * keeps a header from expanding — each entry's data starting at or after the end of the
 * previous entry's (in index order, the region entry aside). So no two entries share bytes, and
 * a header holds at most one value per data byte: a few MiB of header can no longer claim a
 * million values in each of dozens of tags all pointing at one shared block.
 *
 * What the decoded values cost is counted too: {@linkcode TagMap.expansionBound} estimates it
 * before decoding (for the caller's memory budget), and a header whose decoded values would
 * cost more than MAX_HEADER_EXPANSION is malformed.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import type { ByteReader } from "../byte_reader.ts";
import { tagName, TagType } from "./tags.ts";

/** Size of the rpm lead. */
export const LEAD_SIZE = 96;
const LEAD_MAGIC = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC = [0x8e, 0xad, 0xe8, 0x01];
/** rpm's RPMSIGTYPE_HEADERSIG: the only signature type rpm accepts. */
const SIGTYPE_HEADERSIG = 5;

/** Caps on header sizes, as rpm's hdrblobRead. */
export const headerLimits = {
  signature: { maxEntries: 32, maxData: 64 * 1024 * 1024 },
  main: { maxEntries: 0xffff, maxData: 0x0fffffff },
} as const;
/** Most values one array tag may hold: rpm's HEADER_ARRAY_MAX (lib/header.c). */
export const MAX_ARRAY_COUNT = 0x000fffff;
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
 * Estimated memory of one decoded value, in bytes: a string costs a view on the data, a
 * JavaScript string and its share of the record object holding it; a number its slot in an
 * array. Estimates for a budget, measured on V8 to within a factor of two.
 */
export const STRING_VALUE_COST = 128;
/** See {@linkcode STRING_VALUE_COST}. */
export const NUMBER_VALUE_COST = 16;
/**
 * Most a header's decoded values may cost (estimated as above): 128 MiB, room for a package
 * of ~500k files with their dependencies; the largest real packages list ~200k files.
 */
export const MAX_HEADER_EXPANSION = 128 * 1024 * 1024;

/** Fields of the lead mkrepo looks at. */
export interface RpmLead {
  major: number;
  minor: number;
  /** 0 binary, 1 source (informative; rpm decides by header tags). */
  type: number;
}

/** One index entry of a header. */
interface IndexEntry {
  type: number;
  offset: number;
  count: number;
}

const TYPE_SIZE: Record<number, number> = {
  [TagType.CHAR]: 1,
  [TagType.INT8]: 1,
  [TagType.INT16]: 2,
  [TagType.INT32]: 4,
  [TagType.INT64]: 8,
};

/** Parsed header: typed access to tag values, bounds-checked against the data store. */
export class TagMap {
  #entries: Map<number, IndexEntry>;
  #data: Uint8Array;
  #view: DataView;
  #key: string;
  #dataStart: number;
  #expanded = 0;

  constructor(entries: Map<number, IndexEntry>, data: Uint8Array, key: string, dataStart: number) {
    this.#entries = entries;
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.#key = key;
    this.#dataStart = dataStart;
  }

  /** True when the header has the tag. */
  has(tag: number): boolean {
    return this.#entries.has(tag);
  }

  /** Data type of a tag, undefined when absent. */
  type(tag: number): number | undefined {
    return this.#entries.get(tag)?.type;
  }

  #bad(tag: number, entry: IndexEntry, reason: string): MkrepoError {
    return new MkrepoError({
      code: "malformed-package",
      key: this.#key,
      offset: this.#dataStart + entry.offset,
      reason: `header tag ${tagName[tag] ?? tag} ${reason}`,
    });
  }

  /** Estimated cost of the values of `tags` (those present), what decoding them will hold. */
  expansionBound(tags: Iterable<number>): number {
    let cost = 0;
    for (const tag of new Set(tags)) {
      const entry = this.#entries.get(tag);
      if (entry) cost += entry.count * valueCost(entry.type);
    }
    return Math.min(cost, MAX_HEADER_EXPANSION);
  }

  /** Counts values about to be decoded against MAX_HEADER_EXPANSION. */
  #expand(tag: number, entry: IndexEntry, count: number): void {
    this.#expanded += count * valueCost(entry.type);
    if (this.#expanded > MAX_HEADER_EXPANSION) {
      throw this.#bad(
        tag,
        entry,
        `takes the header's decoded values past the ${MAX_HEADER_EXPANSION}-byte limit`,
      );
    }
  }

  #readStrings(tag: number, entry: IndexEntry, count: number): Uint8Array[] {
    if (count > MAX_ARRAY_COUNT) throw this.#bad(tag, entry, `claims ${count} values`);
    this.#expand(tag, entry, count);
    const out: Uint8Array[] = [];
    let at = entry.offset;
    for (let i = 0; i < count; i++) {
      const end = this.#data.indexOf(0, at);
      if (end < 0) throw this.#bad(tag, entry, "runs past the end of the data store");
      out.push(this.#data.subarray(at, end));
      at = end + 1;
    }
    return out;
  }

  /** All strings of a string-typed tag (one for STRING), as raw bytes; undefined otherwise. */
  strings(tag: number): Uint8Array[] | undefined {
    const entry = this.#entries.get(tag);
    if (!entry) return undefined;
    if (entry.type === TagType.STRING) return this.#readStrings(tag, entry, 1);
    if (entry.type === TagType.STRING_ARRAY || entry.type === TagType.I18NSTRING) {
      return this.#readStrings(tag, entry, entry.count);
    }
    return undefined;
  }

  /** First string of a string-typed tag (rpm's headerGetString), as raw bytes. */
  string(tag: number): Uint8Array | undefined {
    const entry = this.#entries.get(tag);
    if (!entry) return undefined;
    if (
      entry.type !== TagType.STRING && entry.type !== TagType.STRING_ARRAY &&
      entry.type !== TagType.I18NSTRING
    ) return undefined;
    return entry.count === 0 ? undefined : this.#readStrings(tag, entry, 1)[0];
  }

  /** All values of an integer-typed tag, unsigned (as rpmtdGetNumber); undefined otherwise. */
  numbers(tag: number): number[] | undefined {
    const entry = this.#entries.get(tag);
    if (!entry) return undefined;
    const size = TYPE_SIZE[entry.type];
    if (size === undefined) return undefined;
    if (entry.count > MAX_ARRAY_COUNT) throw this.#bad(tag, entry, `claims ${entry.count} values`);
    if (entry.offset + entry.count * size > this.#data.length) {
      throw this.#bad(tag, entry, "runs past the end of the data store");
    }
    this.#expand(tag, entry, entry.count);
    const out = new Array<number>(entry.count);
    const v = this.#view;
    for (let i = 0, at = entry.offset; i < entry.count; i++, at += size) {
      out[i] = size === 1
        ? v.getUint8(at)
        : size === 2
        ? v.getUint16(at)
        : size === 4
        ? v.getUint32(at)
        : Number(v.getBigUint64(at));
    }
    return out;
  }

  /** First value of an integer-typed tag (rpm's headerGetNumber, without the 0 default). */
  number(tag: number): number | undefined {
    const values = this.numbers(tag);
    return values && values.length > 0 ? values[0] : undefined;
  }
}

function valueCost(type: number): number {
  return type === TagType.STRING || type === TagType.STRING_ARRAY || type === TagType.I18NSTRING
    ? STRING_VALUE_COST
    : type === TagType.BIN
    ? 0
    : NUMBER_VALUE_COST;
}

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

function malformed(reader: ByteReader, offset: number, reason: string, hint?: string) {
  return new MkrepoError({ code: "malformed-package", key: reader.key, offset, reason, hint });
}

function hasMagic(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** Reads and checks the 96-byte lead (magic, major version 3 or 4, header-style signature). */
export async function readLead(reader: ByteReader): Promise<RpmLead> {
  const start = reader.offset;
  const lead = await reader.readExact(LEAD_SIZE, "the rpm lead");
  if (!hasMagic(lead, LEAD_MAGIC)) {
    throw malformed(
      reader,
      start,
      "not an rpm package (the lead magic is not ed ab ee db)",
      "only rpm files belong under Packages/; remove or replace this file",
    );
  }
  const view = new DataView(lead.buffer, lead.byteOffset, lead.byteLength);
  const major = lead[4];
  if (major < 3 || major > 4) {
    throw malformed(reader, start + 4, `unsupported rpm format version ${major}`);
  }
  const sigType = view.getUint16(78);
  if (sigType !== SIGTYPE_HEADERSIG) {
    throw malformed(reader, start + 78, `unsupported signature type ${sigType} in the lead`);
  }
  return { major, minor: lead[5], type: view.getUint16(6) };
}

/** A header read from the stream, with its byte range in the file. */
export interface ReadHeader {
  tags: TagMap;
  /** Offset of the header's magic. */
  start: number;
  /** Offset just past its data store (before any padding). */
  end: number;
}

/**
 * Reads a header structure: the 16-byte intro (magic, reserved, index count, data size), then
 * index and data in one read. The signature header is followed by padding to 8 bytes, which is
 * skipped too.
 */
export async function readHeader(
  reader: ByteReader,
  kind: "signature" | "main",
): Promise<ReadHeader> {
  const what = kind === "signature" ? "the signature header" : "the header";
  const start = reader.offset;
  const intro = await reader.readExact(16, what);
  if (!hasMagic(intro, HEADER_MAGIC)) {
    throw malformed(reader, start, `${what} does not start with the header magic 8e ad e8 01`);
  }
  const view = new DataView(intro.buffer, intro.byteOffset, 16);
  const il = view.getUint32(8);
  const dl = view.getUint32(12);
  const limits = headerLimits[kind];
  if (il < 1 || il > limits.maxEntries) {
    throw malformed(
      reader,
      start + 8,
      `${what} claims ${il} index entries (allowed 1..${limits.maxEntries})`,
    );
  }
  if (dl > limits.maxData) {
    throw malformed(
      reader,
      start + 12,
      `${what} claims ${dl} bytes of data (limit ${limits.maxData})`,
    );
  }
  const block = await reader.readExact(il * 16 + dl, what);
  const bview = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const dataStart = start + 16 + il * 16;
  const entries = new Map<number, IndexEntry>();
  for (let i = 0; i < il; i++) {
    const at = i * 16;
    const tag = bview.getUint32(at);
    const type = bview.getUint32(at + 4);
    const offset = bview.getInt32(at + 8);
    const count = bview.getUint32(at + 12);
    if (type > TagType.I18NSTRING) {
      throw malformed(
        reader,
        start + 16 + at,
        `${what} entry for tag ${tag} has unknown type ${type}`,
      );
    }
    if (offset < 0 || offset >= dl) {
      throw malformed(
        reader,
        start + 16 + at,
        `${what} entry for tag ${tag} points outside its data (offset ${offset}, size ${dl})`,
      );
    }
    if (!entries.has(tag)) entries.set(tag, { type, offset, count });
  }
  const data = block.subarray(il * 16);
  verifyEntries(reader, what, bview, data, il, dataStart);
  const end = start + 16 + il * 16 + dl;
  if (kind === "signature") {
    const pad = (8 - ((il * 16 + dl) % 8)) % 8;
    if (pad) await reader.skip(pad, "the signature header padding");
  }
  return { tags: new TagMap(entries, data, reader.key, dataStart), start, end };
}

/**
 * rpm's hdrblobVerifyInfo (lib/header.c) on the index as read, before any value is decoded:
 * count, array size, alignment and fit of every entry, and no entry's data starting before the
 * end of the previous one's (the first entry aside when it is a region tag).
 */
function verifyEntries(
  reader: ByteReader,
  what: string,
  index: DataView,
  data: Uint8Array,
  il: number,
  dataStart: number,
): void {
  const dl = data.length;
  let previousEnd = 0;
  for (let i = REGION_TAGS.has(index.getUint32(0)) ? 1 : 0; i < il; i++) {
    const at = i * 16;
    const tag = index.getUint32(at);
    const type = index.getUint32(at + 4);
    const offset = index.getInt32(at + 8);
    const count = index.getUint32(at + 12);
    const name = tagName[tag] ?? String(tag);
    const bad = (reason: string) =>
      malformed(reader, dataStart - il * 16 + at, `${what} entry for tag ${name} ${reason}`);
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
