/**
 * A pull reader over a ReadableStream (or bytes read at once, taken as one chunk): "give me
 * exactly n bytes", "skip n", current offset.
 * Every chunk of the stream goes through `onChunk` (the hashing tap) once the reader is done
 * with it, in stream order, so a caller that reads or skips to the end has seen and hashed every
 * byte exactly once. The tap may return a promise (backpressure): the reader waits for it.
 * Chunks are kept in a list and copied once per readExact, whatever the number of chunks.
 * When the source names the local file behind the stream (util/byte_source.ts) and the caller
 * gives `hashFile`, long skips are not pulled through the stream: the tap hashes that stretch of
 * the file itself (on a hash worker), and the reader goes on from the file.
 * Short reads throw a MkrepoError carrying the object key and the byte offset.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { giveBuffer } from "../util/buffer_pool.ts";
import { type ByteSource, byteSource, isByteStream } from "../util/byte_source.ts";
import { FileTail, type HashFile } from "./file_tail.ts";

export type { FileHashed } from "./file_tail.ts";

/** Options of a ByteReader. */
export interface ByteReaderOptions {
  /** Object key for error messages. */
  key: string;
  /**
   * Called with every chunk of the stream, in order, when the reader no longer needs it.
   * `owned` is true when the chunk's ArrayBuffer belongs to the reader alone (a byte stream
   * transfers each chunk to its reader), so the tap may transfer it to another thread; if it
   * does not, it must not keep the chunk once it returns (the buffer is then reused).
   */
  onChunk?: (chunk: Uint8Array, owned: boolean) => void | Promise<void>;
  /** Largest single readExact allowed (protects against hostile length fields). */
  maxRead?: number;
  /** Overrides the detection of chunk ownership (see onChunk). */
  ownsChunks?: boolean;
  /** Hashes a stretch of the local file as if through onChunk, for long skips (file_tail.ts). */
  hashFile?: HashFile;
}

const DEFAULT_MAX_READ = 64 * 1024 * 1024;

/** Pull-based reader with exact reads, skips and an offset. */
export class ByteReader {
  readonly key: string;
  #reader?: ReadableStreamDefaultReader<Uint8Array>; // none when the source gave its bytes
  #tail?: FileTail; // the local file behind the source, when hashFile can take it
  #fromFile = false; // after a delegated skip, the rest is read from the file
  #pulled = 0; // bytes received from the source
  #lastChunk = 0;
  #onChunk?: (chunk: Uint8Array, owned: boolean) => void | Promise<void>;
  #owned: boolean;
  #maxRead: number;
  #chunks: Uint8Array[] = []; // pulled and not fully consumed, in order
  #pos = 0; // read position inside #chunks[0]
  #buffered = 0; // bytes pulled and not consumed
  #offset = 0; // bytes handed out or skipped so far
  #done = false;

  /** Reads `input`: a stream, or a source that may also name the local file behind it. */
  constructor(input: ReadableStream<Uint8Array> | ByteSource, options: ByteReaderOptions) {
    const { stream, bytes, file } = byteSource(input);
    this.key = options.key;
    if (stream) {
      this.#owned = options.ownsChunks ?? isByteStream(stream);
      this.#reader = stream.getReader();
    } else {
      // All the bytes at once: one chunk pulled, the stream already at its end.
      this.#owned = options.ownsChunks ?? true;
      if (bytes.length > 0) this.#chunks.push(bytes);
      this.#buffered = this.#pulled = this.#lastChunk = bytes.length;
    }
    if (file && options.hashFile) this.#tail = new FileTail(file, options.hashFile, options.key);
    this.#onChunk = options.onChunk;
    this.#maxRead = options.maxRead ?? DEFAULT_MAX_READ;
  }

  /** Bytes consumed (read or skipped) from the start of the stream. */
  get offset(): number {
    return this.#offset;
  }

  async #pull(): Promise<boolean> {
    if (this.#done) return false;
    const { value, done } = this.#fromFile
      ? await this.#tail!.read(this.#pulled)
      : this.#reader
      ? await this.#reader.read()
      : { done: true as const };
    if (done) {
      this.#done = true;
      this.#tail?.close();
      return false;
    }
    this.#lastChunk = value.length;
    if (value.length > 0) {
      this.#chunks.push(value);
      this.#buffered += value.length;
      this.#pulled += value.length;
    }
    return true;
  }

  /**
   * Has the tail hash the next `length` bytes (all that is left without a length) from the
   * file; the buffered bytes have been consumed. Then reads go to the file itself.
   */
  async #delegate(length: number | undefined, what: string): Promise<number> {
    const { bytes, done } = await this.#tail!.delegate(this.#pulled, length);
    this.#pulled += bytes;
    this.#offset += bytes;
    if (!this.#fromFile) {
      this.#fromFile = true;
      await this.#reader?.cancel().catch(() => {});
    }
    if (done) this.#done = true;
    if (length !== undefined && bytes < length) throw this.#short(length - bytes, what);
    return bytes;
  }

  /** True when a skip of n more bytes than are buffered should go to hashFile. */
  #delegates(rest: number | undefined): boolean {
    return !this.#done && this.#tail !== undefined &&
      this.#tail.delegates(this.#pulled, rest, this.#lastChunk);
  }

  /** Fills the buffer up to n bytes; returns false if the stream ended first. */
  async #fill(n: number): Promise<boolean> {
    while (this.#buffered < n) {
      if (!(await this.#pull())) return false;
    }
    return true;
  }

  /** Marks n buffered bytes consumed; chunks left behind go through the tap. */
  async #consume(n: number): Promise<void> {
    this.#buffered -= n;
    this.#offset += n;
    while (n > 0) {
      const first = this.#chunks[0];
      const left = first.length - this.#pos;
      if (n < left) {
        this.#pos += n;
        return;
      }
      n -= left;
      this.#chunks.shift();
      this.#pos = 0;
      const wait = this.#onChunk?.(first, this.#owned);
      if (wait) await wait;
      // Nothing refers to an owned chunk now, unless the tap transferred it (detached).
      if (this.#owned && first.buffer.byteLength > 0) giveBuffer(first.buffer);
    }
  }

  /** Copies the next n buffered bytes (n ≤ buffered) without consuming them. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first.length - this.#pos >= n) return first.slice(this.#pos, this.#pos + n);
    const out = new Uint8Array(n);
    let at = 0;
    for (let i = 0; at < n; i++) {
      const c = this.#chunks[i];
      const from = i === 0 ? this.#pos : 0;
      const take = Math.min(n - at, c.length - from);
      out.set(c.subarray(from, from + take), at);
      at += take;
    }
    return out;
  }

  #short(n: number, what: string): MkrepoError {
    return new MkrepoError({
      code: "malformed-package",
      key: this.key,
      offset: this.#offset + this.#buffered,
      reason: `file ends inside ${what} (needed ${n} bytes at offset ${this.#offset})`,
    });
  }

  /** Reads exactly n bytes; throws if the stream ends first. */
  async readExact(n: number, what = "the data"): Promise<Uint8Array> {
    if (n < 0 || n > this.#maxRead) {
      throw new MkrepoError({
        code: "malformed-package",
        key: this.key,
        offset: this.#offset,
        reason: `${what} claims ${n} bytes, more than the ${this.#maxRead}-byte limit`,
      });
    }
    if (n === 0) return new Uint8Array(0);
    if (!(await this.#fill(n))) throw this.#short(n, what);
    const out = this.#peek(n);
    await this.#consume(n);
    return out;
  }

  /** Reads up to n bytes (fewer only at the end of the stream). */
  async readUpTo(n: number): Promise<Uint8Array> {
    await this.#fill(n);
    const take = Math.min(n, this.#buffered);
    if (take === 0) return new Uint8Array(0);
    const out = this.#peek(take);
    await this.#consume(take);
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill(1));
  }

  /** Skips exactly n bytes (they still pass through onChunk); throws if the stream ends first. */
  async skip(n: number, what = "the data"): Promise<void> {
    if (this.#delegates(n - this.#buffered)) {
      const rest = n - this.#buffered;
      await this.#consume(this.#buffered);
      await this.#delegate(rest, what);
      return;
    }
    let left = n;
    while (left > 0) {
      if (this.#buffered === 0 && !(await this.#pull())) throw this.#short(left, what);
      const take = Math.min(left, this.#buffered);
      await this.#consume(take);
      left -= take;
    }
  }

  /** Skips everything left; returns how many bytes were skipped. */
  async skipToEnd(): Promise<number> {
    let skipped = 0;
    if (this.#delegates(undefined)) {
      skipped = this.#buffered;
      await this.#consume(skipped);
      return skipped + await this.#delegate(undefined, "the data");
    }
    do {
      const n = this.#buffered;
      skipped += n;
      await this.#consume(n);
    } while (await this.#pull());
    return skipped;
  }

  /**
   * The next n bytes as a stream of their own (for a decompressor). The caller must consume it
   * to the end before using this reader again.
   */
  subStream(n: number, what = "the data"): ReadableStream<Uint8Array> {
    let left = n;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (left === 0) {
          controller.close();
          return;
        }
        if (this.#buffered === 0 && !(await this.#pull())) {
          controller.error(this.#short(left, what));
          return;
        }
        const take = Math.min(left, this.#chunks[0].length - this.#pos);
        controller.enqueue(this.#peek(take));
        await this.#consume(take);
        left -= take;
        if (left === 0) controller.close();
      },
    });
  }

  /** Stops reading and releases the underlying stream. */
  async cancel(): Promise<void> {
    this.#tail?.close();
    await this.#reader?.cancel().catch(() => {});
  }
}
