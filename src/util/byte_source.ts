/**
 * What a package reader reads: a stream of an object's bytes (or, for a small local file, the
 * bytes read at once), plus, when the storage can offer it, the local file stretch that holds
 * the same bytes. Long stretches (a package's payload) can then be read by position, by the
 * thread that hashes them, instead of being pulled through the stream. The wiring builds
 * sources (storage/storage.ts `readSource`) and passes them to the readers, which never open
 * storage or files themselves.
 * @module
 */
import type { LocalFileRange } from "./local_file.ts";

/** Where a source's bytes lie on local disk, when they do (local-disk storage only). */
interface OnDisk {
  file?: LocalFileRange;
}

/** An object's bytes as a stream. */
export interface StreamSource extends OnDisk {
  stream: ReadableStream<Uint8Array>;
  bytes?: never;
}

/**
 * An object's bytes read whole at once (a small local file: a stream costs more than reading a
 * few KiB); nobody else holds their buffer.
 */
export interface BytesSource extends OnDisk {
  bytes: Uint8Array;
  stream?: never;
}

/** What a reader reads: an object's bytes as a stream or read at once, and where they lie. */
export type ByteSource = StreamSource | BytesSource;

/** A plain stream as a source without a file; a source as it is. */
export function byteSource(input: ReadableStream<Uint8Array> | ByteSource): ByteSource {
  return input instanceof ReadableStream ? { stream: input } : input;
}

/** Byte streams made by byteStream(): known as such without probing them. */
const madeHere = new WeakSet<ReadableStream<Uint8Array>>();

/** A byte stream (`type: "bytes"`) over `source`, known to isByteStream() at no cost. */
export function byteStream(source: Omit<UnderlyingByteSource, "type">): ReadableStream<Uint8Array> {
  const stream = new ReadableStream({ ...source, type: "bytes" }) as ReadableStream<Uint8Array>;
  madeHere.add(stream);
  return stream;
}

/**
 * True for a byte stream (`type: "bytes"`, as files and fetch bodies are): its chunks are
 * transferred to the reader on enqueue, so nobody else holds their buffers. Others than those
 * of byteStream() are probed with a BYOB reader, whose release costs ~15 µs (it rejects the
 * reader's `closed` promise with a new error).
 */
export function isByteStream(stream: ReadableStream<Uint8Array>): boolean {
  if (madeHere.has(stream)) return !stream.locked;
  if (stream.locked) return false;
  try {
    stream.getReader({ mode: "byob" }).releaseLock();
    return true;
  } catch {
    return false;
  }
}
