/**
 * Reads one rpm from a stream in a single pass: lead, signature header and main header are
 * parsed; the payload is never decompressed, only hashed (sha256 of the whole file = pkgid)
 * while it is drained to the end.
 * @module
 */
import type { RpmPackage } from "../../record/rpm_package.ts";
import { ByteReader } from "../byte_reader.ts";
import { type ByteSource, byteSource } from "../../util/byte_source.ts";
import { packageHasher } from "../hashing.ts";
import { headerLimits, readHeader, readLead } from "./header.ts";
import {
  DECODED_ARRAY_TAGS,
  headerToPackage,
  type HeaderToPackageOptions,
} from "./header_to_package.ts";
import { decodeBudget, type MemoryBudget } from "../../util/memory_budget.ts";

/** The object being read. */
export interface RpmSource {
  /** Storage key relative to the repository root (also the location href by default). */
  key: string;
  /** Modification time in ms. */
  mtime: number;
  etag?: string;
  /** Location href when it differs from the key. */
  href?: string;
}

/** Options of readRpm. */
export interface ReadRpmOptions extends HeaderToPackageOptions {
  /** Budget the header's decoding reserves its memory in (default: the process-wide one). */
  budget?: MemoryBudget;
}

/**
 * Reads an rpm stream into a package record. Rejects with a MkrepoError (code
 * "malformed-package", naming the key) for anything that is not a well-formed rpm; errors of the
 * stream itself pass through unchanged. The stream is cancelled on failure. Of a source that
 * names its local file (util/byte_source.ts), the payload is hashed from the file.
 */
export async function readRpm(
  input: ReadableStream<Uint8Array> | ByteSource,
  source: RpmSource,
  options: ReadRpmOptions = {},
): Promise<RpmPackage> {
  const hasher = packageHasher(["sha256"], byteSource(input).file !== undefined);
  const reader = new ByteReader(input, {
    key: source.key,
    onChunk: (chunk, owned) => hasher.update(chunk, owned),
    hashFile: (path, offset, length) => hasher.updateFromFile(path, offset, length),
    maxRead: headerLimits.main.maxEntries * 16 + headerLimits.main.maxData,
  });
  try {
    await readLead(reader);
    const signature = await readHeader(reader, "signature");
    const header = await readHeader(reader, "main");
    await reader.skipToEnd();
    const sums = await hasher.digest();
    // What decoding the header's arrays holds (estimated from the verified index) is reserved
    // in the process-wide budget: any number of large headers are decoded a few at a time.
    const release = await (options.budget ?? decodeBudget).reserve(
      header.tags.expansionBound(DECODED_ARRAY_TAGS),
    );
    try {
      return headerToPackage({ signature: signature.tags, header: header.tags }, {
        key: source.key,
        mtime: source.mtime,
        etag: source.etag,
        href: source.href,
        pkgid: sums.sha256!,
        size: sums.size,
        headerRange: { start: header.start, end: header.end },
      }, options);
    } finally {
      release();
    }
  } catch (err) {
    // MkrepoErrors carry the key already; anything else comes from the stream (I/O) and is
    // passed on unchanged so that a dropped connection is not mistaken for a bad package.
    hasher.abort();
    await reader.cancel();
    throw err;
  }
}
