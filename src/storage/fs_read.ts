/**
 * The byte stream behind the local-disk backend's `read()`: a file, or a range of it, read in
 * pooled buffers of at most 1 MiB sized by what the file holds; small files with synchronous
 * calls, larger ones asynchronously.
 * @module
 */
import { giveBuffer, takeBuffer } from "../util/buffer_pool.ts";
import { byteStream } from "../util/byte_source.ts";
import type { ReadRange } from "./storage.ts";

const CHUNK = 1024 * 1024;
/**
 * The first read of a file larger than CHUNK: a package reader parses the header from it and
 * hands the payload to the thread that hashes, which reads it from the file itself
 * (reader/file_tail.ts); a full first chunk would put a megabyte of every package through the
 * main thread.
 */
const FIRST_CHUNK = 64 * 1024;

/**
 * Files whose remaining size is at most this many bytes are opened, stat'ed and read with
 * synchronous calls: each async file op is a trip through Deno's blocking thread pool
 * (~50–100 µs), several times what a page-cached read of a small package costs, and they
 * dominated a run over thousands of tiny packages. Larger files are read asynchronously, so
 * that long reads never hold up the event loop.
 */
const SYNC_MAX = 256 * 1024;

/** Options of {@linkcode readFile}. */
export interface ReadFileOptions {
  /** The bytes to read (default: the whole file). */
  range?: ReadRange;
  /** Turns a file-system error into the error returned or seen by the stream's reader. */
  fail: (err: unknown) => Error;
}

/** Opens the file at `path` and streams its bytes (a byte stream; closes the file at the end). */
export function readFile(
  path: string,
  options: ReadFileOptions,
): Promise<ReadableStream<Uint8Array>> {
  const range = options.range;
  const start = range?.start ?? 0;
  let file: Deno.FsFile;
  // Buffers sized by what the file holds: a small package read by each of 32 readers at once
  // takes a few KiB, not 32 MiB of full-size buffers (a little more than the size, so the
  // read that meets the end of a file that grew meanwhile still gets its bytes).
  let expected: number;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (err) {
    return Promise.reject(options.fail(err));
  }
  try {
    if (start > 0) file.seekSync(start, Deno.SeekMode.Start);
    expected = Math.max(0, file.statSync().size - start);
  } catch (err) {
    file.close();
    return Promise.reject(options.fail(err));
  }
  let left = range?.end !== undefined ? Math.max(0, range.end - start) : Infinity;
  let closed = false;
  let first = true;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  return Promise.resolve(
    byteStream({
      pull: async (controller) => {
        if (left <= 0) {
          close();
          controller.close();
          return;
        }
        const size = first && expected > CHUNK ? FIRST_CHUNK : CHUNK;
        first = false;
        const buf = takeBuffer(Math.min(size, left, expected + 4096));
        let n: number | null;
        try {
          n = buf.length <= SYNC_MAX ? file.readSync(buf) : await file.read(buf);
        } catch (err) {
          close();
          controller.error(options.fail(err));
          return;
        }
        if (n === null) {
          giveBuffer(buf.buffer);
          close();
          controller.close();
          return;
        }
        left -= n;
        expected = Math.max(0, expected - n);
        controller.enqueue(n === buf.length ? buf : buf.subarray(0, n));
        // A regular file gives fewer bytes than asked for only at its end: no read to see it.
        if (n < buf.length) {
          close();
          controller.close();
        }
      },
      cancel: close,
    }),
  );
}

/**
 * The whole file at `path`, read with synchronous calls, when it holds at most `max` bytes;
 * undefined for a larger file (also one that grows past its size while it is read).
 */
export function readSmallFile(path: string, max: number): Uint8Array | undefined {
  const file = Deno.openSync(path, { read: true });
  try {
    const size = file.statSync().size;
    if (size > max) return undefined;
    // One byte more than the size: a read that fills it means the file grew meanwhile. A
    // regular file gives fewer bytes than asked for only at its end: no read to see it.
    const bytes = new Uint8Array(size + 1);
    let n = 0;
    while (n < bytes.length) {
      const asked = bytes.length - n;
      const got = file.readSync(bytes.subarray(n));
      if (got === null || got === 0) break;
      n += got;
      if (got < asked) break;
    }
    return n > size ? undefined : bytes.subarray(0, n);
  } finally {
    file.close();
  }
}
