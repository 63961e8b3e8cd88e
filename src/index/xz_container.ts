/**
 * The .xz container around raw LZMA2 data: one stream of one or more blocks, each block the
 * LZMA2 data of one part of the text (compressed on its own, possibly at the same time as the
 * others), with a CRC32 check. Writing the container here lets each block's dictionary be sized
 * to its part: the encoder's working memory follows the dictionary (8 MiB at preset 6: ~22 MiB
 * for any input, even 150 KB; a 256 KiB dictionary: ~9 MiB), and a dictionary larger than the
 * text buys nothing. Several blocks in one stream is the layout `xz --threads` writes, which
 * every decoder reads; concatenated streams would be cut short by decoders that stop after the
 * first (dpkg's in-process liblzma, xz-embedded).
 *
 * Format facts from "The .xz File Format" 1.2.1 (https://tukaani.org/xz/xz-file-format.txt),
 * section numbers cited below.
 * @module
 */
import { crc32 } from "node:zlib";
import { concatBytes } from "../util/bytes.ts";

/** Header Magic Bytes (§2.1.1.1). */
const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
/** Footer Magic Bytes, "YZ" (§2.1.2.4). */
const FOOTER_MAGIC = [0x59, 0x5a];
/** Stream Flags: no reserved bits, Check type 0x01 = CRC32 of each block's data (§2.1.1.2, §3.4). */
const STREAM_FLAGS = [0x00, 0x01];
/** Size of the CRC32 check (§3.4). */
const CHECK_SIZE = 4;
/** Block Flags: one filter, Compressed Size and Uncompressed Size present (§3.1.2). */
const BLOCK_FLAGS = 0xc0;
/** Filter ID of LZMA2 (§5.3.1). */
const LZMA2_FILTER_ID = 0x21;
/** The Index starts with a null byte where a Block Header would start (§4.1). */
const INDEX_INDICATOR = 0x00;
/** Largest dictionary an LZMA2 properties byte can name: 40 means 4 GiB - 1 (§5.3.1). */
const MAX_DICT_PROP = 40;

/** One block: raw LZMA2 data (ending with its end marker) and what it holds. */
export interface XzBlock {
  /** The LZMA2 data, in the pieces the encoder gave it. */
  lzma2: readonly Uint8Array[];
  /** Size of the uncompressed bytes. */
  size: number;
  /** CRC32 of the uncompressed bytes (node:zlib's crc32, which can go on piece by piece). */
  crc32: number;
  /** The dictionary size the data was compressed with (one lzma2DictSize() gives). */
  dictSize: number;
}

/**
 * Dictionary size for LZMA2 data of `length` bytes, at most `max`: the largest size an LZMA2
 * properties byte can name (2^n or 3 * 2^(n-1), at least 4 KiB) that is no larger than the text.
 * The encoder's memory follows the dictionary (its match finder: ~10 bytes per dictionary byte
 * at preset 6), and matches further back than that are rare in an index: rounding up to hold the
 * whole text cost a 4.4 MB Packages in two halves 12 MiB more for 14 bytes less (Debian
 * bookworm's real text).
 */
export function lzma2DictSize(length: number, max: number): number {
  let prop = dictProp(length);
  if (prop > 0 && dictSizeOf(prop) > length) prop--;
  return Math.min(dictSizeOf(prop), max);
}

/** The dictionary size properties byte `prop` names (§5.3.1). */
function dictSizeOf(prop: number): number {
  return (2 | (prop & 1)) * 2 ** (Math.floor(prop / 2) + 11);
}

/** The properties byte naming the smallest dictionary of at least `dictSize` bytes. */
function dictProp(dictSize: number): number {
  for (let prop = 0; prop < MAX_DICT_PROP; prop++) {
    if (dictSizeOf(prop) >= dictSize) return prop;
  }
  return MAX_DICT_PROP;
}

/** One .xz stream holding `blocks` in order (none for an empty text, as `xz` writes it). */
export function xzStream(blocks: readonly XzBlock[]): Uint8Array {
  const parts: Uint8Array[] = [streamHeader()];
  const records: [unpadded: number, uncompressed: number][] = [];
  for (const block of blocks) {
    const compressed = block.lzma2.reduce((n, part) => n + part.length, 0);
    const header = blockHeader(block, compressed);
    const check = new Uint8Array(CHECK_SIZE);
    new DataView(check.buffer).setUint32(0, block.crc32, true);
    // Block Padding: the data is followed by zeros up to a multiple of four (§3.3).
    const padding = new Uint8Array((4 - (compressed % 4)) % 4);
    parts.push(header, ...block.lzma2, padding, check);
    records.push([header.length + compressed + CHECK_SIZE, block.size]);
  }
  const index = indexOf(records);
  parts.push(index, streamFooter(index.length));
  return concatBytes(parts);
}

/** Stream Header: magic, flags, CRC32 of the flags (§2.1.1). */
function streamHeader(): Uint8Array {
  const header = new Uint8Array(12);
  header.set(HEADER_MAGIC);
  header.set(STREAM_FLAGS, 6);
  new DataView(header.buffer).setUint32(8, crc32(header.subarray(6, 8)), true);
  return header;
}

/** Stream Footer: CRC32, Backward Size (index size / 4 - 1), flags, magic (§2.1.2). */
function streamFooter(indexSize: number): Uint8Array {
  const footer = new Uint8Array(12);
  const view = new DataView(footer.buffer);
  view.setUint32(4, indexSize / 4 - 1, true);
  footer.set(STREAM_FLAGS, 8);
  footer.set(FOOTER_MAGIC, 10);
  view.setUint32(0, crc32(footer.subarray(4, 10)), true);
  return footer;
}

/** Block Header: size, flags, sizes, the LZMA2 filter, padding, CRC32 (§3.1). */
function blockHeader(block: XzBlock, compressed: number): Uint8Array {
  const bytes = [0, BLOCK_FLAGS];
  putVarint(bytes, compressed);
  putVarint(bytes, block.size);
  bytes.push(LZMA2_FILTER_ID, 1, dictProp(block.dictSize));
  while ((bytes.length + 4) % 4 !== 0) bytes.push(0);
  // Block Header Size: the real size (CRC32 included) / 4 - 1 (§3.1.1).
  bytes[0] = (bytes.length + 4) / 4 - 1;
  return withCrc32(bytes);
}

/** Index: indicator, record count, records, padding, CRC32 (§4). */
function indexOf(records: readonly [number, number][]): Uint8Array {
  const bytes = [INDEX_INDICATOR];
  putVarint(bytes, records.length);
  for (const [unpadded, uncompressed] of records) {
    putVarint(bytes, unpadded);
    putVarint(bytes, uncompressed);
  }
  while (bytes.length % 4 !== 0) bytes.push(0);
  return withCrc32(bytes);
}

/** A multibyte integer: 7 bits a byte, least significant first (§1.2). */
function putVarint(bytes: number[], n: number): void {
  for (; n >= 0x80; n = Math.floor(n / 0x80)) bytes.push((n % 0x80) | 0x80);
  bytes.push(n);
}

function withCrc32(bytes: number[]): Uint8Array {
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes);
  new DataView(out.buffer).setUint32(bytes.length, crc32(out.subarray(0, bytes.length)), true);
  return out;
}
