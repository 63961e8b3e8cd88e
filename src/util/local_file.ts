/**
 * Streams that are plain reads of a local file can say so: a storage marks the stream it
 * returns with the file's path and byte range, and a consumer that only needs to hash a long
 * stretch of it (a package's payload) may have a hash worker read that stretch from the file
 * itself instead of pulling it through the stream on the main thread (readFileRange). Unmarked
 * streams (S3, tests) are simply read.
 * @module
 */

/** Where a marked stream's bytes come from. */
export interface LocalFileSource {
  /** Absolute path of the file. */
  path: string;
  /** File offset of the stream's first byte. */
  start: number;
  /** File offset just past the stream's last byte (undefined: the end of the file). */
  end?: number;
}

const sources = new WeakMap<ReadableStream<Uint8Array>, LocalFileSource>();

/** Marks `stream` as the bytes [start, end) of a local file; returns the stream. */
export function markLocalFile(
  stream: ReadableStream<Uint8Array>,
  source: LocalFileSource,
): ReadableStream<Uint8Array> {
  sources.set(stream, { ...source });
  return stream;
}

/** The local file behind a stream, when its storage marked it. */
export function localFileOf(stream: ReadableStream<Uint8Array>): LocalFileSource | undefined {
  return sources.get(stream);
}

/** Size of the buffer a file range is read through (stays in the CPU cache while hashed). */
export const FILE_READ_SIZE = 256 * 1024;

/**
 * Reads bytes [offset, offset + length) of a file (to its end without a length) synchronously
 * and feeds them to `feed`; used by the hash worker and by in-place jobs.
 */
export function readFileRange(
  path: string,
  offset: number,
  length: number | undefined,
  feed: (bytes: Uint8Array) => void,
  buffer = new Uint8Array(FILE_READ_SIZE),
): { bytes: number; eof: boolean } {
  const file = Deno.openSync(path, { read: true });
  try {
    file.seekSync(offset, Deno.SeekMode.Start);
    let bytes = 0;
    const want = length ?? Infinity;
    while (bytes < want) {
      const n = file.readSync(
        want - bytes < buffer.length ? buffer.subarray(0, want - bytes) : buffer,
      );
      if (n === null || n === 0) break;
      feed(buffer.subarray(0, n));
      bytes += n;
    }
    return { bytes, eof: offset + bytes >= file.statSync().size };
  } finally {
    file.close();
  }
}
