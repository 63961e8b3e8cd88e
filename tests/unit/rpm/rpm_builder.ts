/**
 * Test helper: writes small rpm files from tag lists (lead, signature header, main header with
 * immutable regions as rpm writes them, then an opaque payload), so tests can craft packages
 * with edge cases (Latin-1 text, legacy weak deps, odd epochs...) and hostile headers that rpm
 * itself and createrepo_c can read too. Not a general rpm writer.
 * @module
 */
import { concatBytes } from "../../../src/util/bytes.ts";
import { TagType } from "../../../src/reader/rpm/tags.ts";

/** A value for one tag. Strings may be given as raw bytes (e.g. invalid UTF-8). */
export type TagData =
  | { type: typeof TagType.STRING | typeof TagType.I18NSTRING; value: string | Uint8Array }
  | {
    type: typeof TagType.STRING_ARRAY | typeof TagType.I18NSTRING;
    value: (string | Uint8Array)[];
  }
  | {
    type: typeof TagType.INT8 | typeof TagType.INT16 | typeof TagType.INT32 | typeof TagType.INT64;
    value: number[];
  }
  | { type: typeof TagType.BIN; value: Uint8Array };

/** Tag number → value. */
export type TagList = [number, TagData][];

const enc = new TextEncoder();
const bytesOf = (s: string | Uint8Array) => (typeof s === "string" ? enc.encode(s) : s);
const ALIGN: Record<number, number> = { 3: 2, 4: 4, 5: 8 };

/** Encodes one header structure (magic, counts, index, data) with a region tag. */
export function encodeHeader(tags: TagList, regionTag: number): Uint8Array {
  const sorted = [...tags].sort((a, b) => a[0] - b[0]);
  const data: number[] = [];
  const entries: HeaderEntry[] = [];
  for (const [tag, d] of sorted) {
    const align = ALIGN[d.type] ?? 1;
    while (data.length % align) data.push(0);
    const offset = data.length;
    let count: number;
    if (d.type === TagType.STRING || (d.type === TagType.I18NSTRING && !Array.isArray(d.value))) {
      data.push(...bytesOf(d.value as string | Uint8Array), 0);
      count = 1;
    } else if (d.type === TagType.STRING_ARRAY || d.type === TagType.I18NSTRING) {
      const list = d.value as (string | Uint8Array)[];
      for (const s of list) data.push(...bytesOf(s), 0);
      count = list.length;
    } else if (d.type === TagType.BIN) {
      data.push(...(d.value as Uint8Array));
      count = (d.value as Uint8Array).length;
    } else {
      const size = d.type === TagType.INT8
        ? 1
        : d.type === TagType.INT16
        ? 2
        : d.type === TagType.INT32
        ? 4
        : 8;
      const buf = new Uint8Array(size * d.value.length);
      const v = new DataView(buf.buffer);
      (d.value as number[]).forEach((n, i) => {
        if (size === 1) v.setUint8(i, n);
        else if (size === 2) v.setUint16(i * 2, n);
        else if (size === 4) v.setUint32(i * 4, n);
        else v.setBigUint64(i * 8, BigInt(n));
      });
      data.push(...buf);
      count = (d.value as number[]).length;
    }
    entries.push([tag, d.type, offset, count]);
  }
  const il = entries.length + 1;
  // region trailer: an index entry pointing back over the whole index
  const trailerAt = data.length;
  const trailer = new DataView(new ArrayBuffer(16));
  trailer.setUint32(0, regionTag);
  trailer.setUint32(4, TagType.BIN);
  trailer.setInt32(8, -il * 16);
  trailer.setUint32(12, 16);
  data.push(...new Uint8Array(trailer.buffer));
  entries.unshift([regionTag, TagType.BIN, trailerAt, 16]);
  return headerBlob(entries, new Uint8Array(data));
}

/** One index entry of a header: tag, type, offset into the data, count. */
export type HeaderEntry = [tag: number, type: number, offset: number, count: number];

/** A header structure as given, unchecked: magic, entry and data counts, the entries, the data. */
export function headerBlob(entries: readonly HeaderEntry[], data: Uint8Array): Uint8Array {
  const il = entries.length;
  const out = new Uint8Array(16 + il * 16 + data.length);
  const v = new DataView(out.buffer);
  out.set([0x8e, 0xad, 0xe8, 0x01]);
  v.setUint32(8, il);
  v.setUint32(12, data.length);
  entries.forEach(([tag, type, offset, count], i) => {
    v.setUint32(16 + i * 16, tag);
    v.setUint32(20 + i * 16, type);
    v.setInt32(24 + i * 16, offset);
    v.setUint32(28 + i * 16, count);
  });
  out.set(data, 16 + il * 16);
  return out;
}

/** Encodes the 96-byte lead. */
export function encodeLead(name: string, source = false): Uint8Array {
  const lead = new Uint8Array(96);
  const v = new DataView(lead.buffer);
  lead.set([0xed, 0xab, 0xee, 0xdb, 3, 0]);
  v.setUint16(6, source ? 1 : 0);
  v.setUint16(8, 1);
  lead.set(enc.encode(name).subarray(0, 65), 10);
  v.setUint16(76, 1);
  v.setUint16(78, 5);
  return lead;
}

/** Options of buildRpm. */
export interface BuildRpmOptions {
  /** Main header tags (NAME, VERSION, RELEASE... as the test needs). */
  header: TagList;
  /** Extra signature tags (RPMSIGTAG_SIZE is always written). */
  signature?: TagList;
  payload?: Uint8Array;
  source?: boolean;
}

/** Writes a whole rpm file. */
export function buildRpm(options: BuildRpmOptions): Uint8Array {
  const header = encodeHeader(options.header, 63);
  const payload = options.payload ?? enc.encode("not a real payload\n");
  const sig = encodeHeader([
    [1000, { type: TagType.INT32, value: [header.length + payload.length] }],
    ...(options.signature ?? []),
  ], 62);
  const pad = (8 - (sig.length % 8)) % 8;
  const parts = [encodeLead("crafted", options.source), sig, new Uint8Array(pad), header, payload];
  return concatBytes(parts);
}

/** Shorthands for tag values. */
export const t = {
  s: (value: string | Uint8Array): TagData => ({ type: TagType.STRING, value }),
  i18n: (value: string | Uint8Array): TagData => ({ type: TagType.I18NSTRING, value: [value] }),
  sa: (value: (string | Uint8Array)[]): TagData => ({ type: TagType.STRING_ARRAY, value }),
  i32: (value: number[]): TagData => ({ type: TagType.INT32, value }),
  i16: (value: number[]): TagData => ({ type: TagType.INT16, value }),
  i64: (value: number[]): TagData => ({ type: TagType.INT64, value }),
};
