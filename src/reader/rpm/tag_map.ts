/**
 * A parsed header's tags: typed access to their values, bounds-checked against the data store.
 *
 * What the decoded values cost is counted: {@linkcode TagMap.expansionBound} estimates it
 * before decoding (for the caller's memory budget), and a header whose decoded values would
 * cost more than MAX_HEADER_EXPANSION is malformed.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import { tagName, TagType } from "./tags.ts";

/** Most values one array tag may hold: rpm's HEADER_ARRAY_MAX (lib/header.c). */
export const MAX_ARRAY_COUNT = 0x000fffff;
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

/** One index entry of a header. */
export interface IndexEntry {
  type: number;
  offset: number;
  count: number;
}

/** Bytes of one value of each integer type. */
export const TYPE_SIZE: Record<number, number> = {
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
    if (entry.count === 0) return undefined;
    this.#expand(tag, entry, 1);
    const end = this.#data.indexOf(0, entry.offset);
    if (end < 0) throw this.#bad(tag, entry, "runs past the end of the data store");
    return this.#data.subarray(entry.offset, end);
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
