/**
 * The three structures at the start of an rpm file: the 96-byte lead, the signature header
 * (padded to 8 bytes) and the main header. Each header is read with one await for its 16-byte
 * intro and one for its index + data store, then parsed with a DataView.
 *
 * Limits (as rpm's own `hdrblobRead`, lib/header.c): a signature header holds at most 32 index
 * entries and 64 MiB of data, a main header at most 0xffff entries and 0x0fffffff bytes
 * (256 MiB - 1); larger claims are rejected before any allocation. Every entry is then checked
 * (`header_verify.ts`) before any value is decoded (`tag_map.ts`).
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import type { ByteReader } from "../byte_reader.ts";
import { verifyEntries } from "./header_verify.ts";
import { type IndexEntry, TagMap } from "./tag_map.ts";
import { TagType } from "./tags.ts";

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

/** Fields of the lead mkrepo looks at. */
export interface RpmLead {
  major: number;
  minor: number;
  /** 0 binary, 1 source (informative; rpm decides by header tags). */
  type: number;
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
  verifyEntries(reader.key, what, bview, data, il, dataStart);
  const end = start + 16 + il * 16 + dl;
  if (kind === "signature") {
    const pad = (8 - ((il * 16 + dl) % 8)) % 8;
    if (pad) await reader.skip(pad, "the signature header padding");
  }
  return { tags: new TagMap(entries, data, reader.key, dataStart), start, end };
}
