/**
 * What a package reader reads: a stream of an object's bytes, plus, when the storage can offer
 * it, the local file stretch that holds the same bytes. Long stretches (a package's payload)
 * can then be read by position, by the thread that hashes them, instead of being pulled through
 * the stream. The wiring builds sources (storage/storage.ts `readSource`) and passes them to
 * the readers, which never open storage or files themselves.
 * @module
 */
import type { LocalFileRange } from "./local_file.ts";

/** An object's bytes as a stream, and where they lie on local disk when they do. */
export interface ByteSource {
  stream: ReadableStream<Uint8Array>;
  /** The local file stretch holding the stream's bytes (local-disk storage only). */
  file?: LocalFileRange;
}

/** A plain stream as a source without a file; a source as it is. */
export function byteSource(input: ReadableStream<Uint8Array> | ByteSource): ByteSource {
  return input instanceof ReadableStream ? { stream: input } : input;
}
