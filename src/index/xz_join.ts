/**
 * Joins .xz streams compressed independently (the parts of one text, in order) into one
 * stream of several blocks: the first part's Stream Header, every part's blocks as they are,
 * one Index listing all of their records, one Stream Footer. That is the layout `xz --threads`
 * writes, so every decoder reads it. Concatenated streams would be shorter to make, but
 * decoders that stop after the first stream (dpkg's in-process liblzma, xz-embedded) would
 * then silently see only the first part.
 *
 * Format facts from "The .xz File Format" 1.2.1 (https://tukaani.org/xz/xz-file-format.txt),
 * section numbers cited below. Blocks are copied, never decoded: only the Stream Header,
 * Index and Stream Footer of each part are read, bounds- and CRC-checked.
 * @module
 */
import { crc32 } from "node:zlib";

/** Header Magic Bytes (§2.1.1.1). */
const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
/** Footer Magic Bytes, "YZ" (§2.1.2.4). */
const FOOTER_MAGIC = [0x59, 0x5a];
/** Stream Header: magic (6), Stream Flags (2), CRC32 of the flags (4) (§2.1.1). */
const HEADER_SIZE = 12;
/** Stream Footer: CRC32 (4), Backward Size (4), Stream Flags (2), magic (2) (§2.1.2). */
const FOOTER_SIZE = 12;
/** Offset of the Stream Flags in the Stream Header (§2.1.1.2). */
const HEADER_FLAGS_AT = 6;
/** The Index starts with a null byte where a Block Header would start (§4.1). */
const INDEX_INDICATOR = 0x00;
/** A multibyte integer has at most 9 bytes of 7 bits each (§1.2). */
const MAX_MBI_BYTES = 9;

/**
 * One .xz stream made of the given streams' blocks, in order. Each part must be one whole
 * stream (no stream padding, nothing after it) and all must use the same check type; throws
 * otherwise, naming the part.
 */
export function joinXzStreams(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const read = parts.map((part, i) => readStream(part, i));
  const flags = read[0].flags;
  for (const [i, s] of read.entries()) {
    if (s.flags[0] !== flags[0] || s.flags[1] !== flags[1]) {
      throw new Error(`xz part ${i + 1}: stream flags differ from the first part's`);
    }
  }
  const index = encodeIndex(read.flatMap((s) => s.records));
  const footer = new Uint8Array(FOOTER_SIZE);
  const view = new DataView(footer.buffer);
  view.setUint32(4, index.length / 4 - 1, true);
  footer.set(flags, 8);
  footer.set(FOOTER_MAGIC, 10);
  view.setUint32(0, crc32(footer.subarray(4, 10)), true);

  const blocks = read.reduce((n, s) => n + s.blocks.length, 0);
  const out = new Uint8Array(HEADER_SIZE + blocks + index.length + FOOTER_SIZE);
  out.set(parts[0].subarray(0, HEADER_SIZE));
  let at = HEADER_SIZE;
  for (const s of read) {
    out.set(s.blocks, at);
    at += s.blocks.length;
  }
  out.set(index, at);
  out.set(footer, at + index.length);
  return out;
}

/** One Index Record: the block's Unpadded Size and Uncompressed Size (§4.3). */
type IndexRecord = [unpadded: number, uncompressed: number];

interface ReadStream {
  flags: Uint8Array;
  blocks: Uint8Array;
  records: IndexRecord[];
}

function readStream(part: Uint8Array, i: number): ReadStream {
  const fail = (why: string): never => {
    throw new Error(`xz part ${i + 1}: ${why}`);
  };
  if (part.length < HEADER_SIZE + FOOTER_SIZE) fail("shorter than a stream header and footer");
  if (!HEADER_MAGIC.every((b, j) => part[j] === b)) fail("no stream header magic");
  const flags = part.subarray(HEADER_FLAGS_AT, HEADER_FLAGS_AT + 2);
  const view = new DataView(part.buffer, part.byteOffset, part.length);
  if (crc32(flags) !== view.getUint32(HEADER_FLAGS_AT + 2, true)) fail("stream header CRC32");

  const footerAt = part.length - FOOTER_SIZE;
  const footer = part.subarray(footerAt);
  if (footer[10] !== FOOTER_MAGIC[0] || footer[11] !== FOOTER_MAGIC[1]) {
    fail("no stream footer magic (one whole stream expected)");
  }
  if (crc32(footer.subarray(4, 10)) !== view.getUint32(footerAt, true)) fail("footer CRC32");
  if (footer[8] !== flags[0] || footer[9] !== flags[1]) fail("footer flags differ from header");
  // Backward Size: the Index's size in units of four bytes, minus one (§2.1.2.2).
  const indexSize = (view.getUint32(footerAt + 4, true) + 1) * 4;
  const indexAt = footerAt - indexSize;
  if (indexAt < HEADER_SIZE) fail("index larger than the stream");
  const records = readIndex(part.subarray(indexAt, footerAt), fail);

  // Each block takes its Unpadded Size rounded up to four bytes: Block Padding aligns header
  // and data, and every check size is a multiple of four (§3.3, §3.4).
  const blockBytes = records.reduce((n, [unpadded]) => n + Math.ceil(unpadded / 4) * 4, 0);
  if (HEADER_SIZE + blockBytes !== indexAt) fail("block sizes do not add up to the index");
  return { flags, blocks: part.subarray(HEADER_SIZE, indexAt), records };
}

function readIndex(index: Uint8Array, fail: (why: string) => never): IndexRecord[] {
  const crcAt = index.length - 4;
  const crc = new DataView(index.buffer, index.byteOffset + crcAt, 4).getUint32(0, true);
  if (crc32(index.subarray(0, crcAt)) !== crc) fail("index CRC32");
  if (index[0] !== INDEX_INDICATOR) fail("no index indicator");
  let at = 1;
  const next = (): number => {
    let value = 0;
    for (let j = 0; j < MAX_MBI_BYTES && at < crcAt; j++) {
      const byte = index[at++];
      value += (byte & 0x7f) * 2 ** (7 * j);
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) break;
        return value;
      }
    }
    return fail("bad multibyte integer in the index");
  };
  const count = next();
  const records: IndexRecord[] = [];
  for (let r = 0; r < count; r++) records.push([next(), next()]);
  // Index Padding: zero bytes up to a multiple of four (§4.4).
  for (; at < crcAt; at++) if (index[at] !== 0) fail("index padding not zero");
  return records;
}

function encodeIndex(records: readonly IndexRecord[]): Uint8Array {
  const bytes: number[] = [INDEX_INDICATOR];
  const put = (n: number) => {
    for (; n >= 0x80; n = Math.floor(n / 0x80)) bytes.push((n % 0x80) | 0x80);
    bytes.push(n);
  };
  put(records.length);
  for (const [unpadded, uncompressed] of records) {
    put(unpadded);
    put(uncompressed);
  }
  while (bytes.length % 4 !== 0) bytes.push(0);
  const index = new Uint8Array(bytes.length + 4);
  index.set(bytes);
  new DataView(index.buffer).setUint32(bytes.length, crc32(index.subarray(0, bytes.length)), true);
  return index;
}
