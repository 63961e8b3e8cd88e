/**
 * A pull reader over a ReadableStream: "give me exactly n bytes", "skip n", current offset.
 * Every chunk pulled from the stream goes through `onChunk` first (the hashing tap), so a
 * caller that reads or skips to the end has seen and hashed every byte exactly once.
 * Short reads throw a MkrepoError carrying the object key and the byte offset.
 * @module
 */
import { MkrepoError } from "../errors.ts";

/** Options of a ByteReader. */
export interface ByteReaderOptions {
  /** Object key for error messages. */
  key: string;
  /** Called with every chunk pulled from the stream, in order. */
  onChunk?: (chunk: Uint8Array) => void;
  /** Largest single readExact allowed (protects against hostile length fields). */
  maxRead?: number;
}

const DEFAULT_MAX_READ = 64 * 1024 * 1024;

/** Pull-based reader with exact reads, skips and an offset. */
export class ByteReader {
  readonly key: string;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #onChunk?: (chunk: Uint8Array) => void;
  #maxRead: number;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0; // read position inside #buf
  #offset = 0; // bytes handed out or skipped so far
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>, options: ByteReaderOptions) {
    this.key = options.key;
    this.#reader = stream.getReader();
    this.#onChunk = options.onChunk;
    this.#maxRead = options.maxRead ?? DEFAULT_MAX_READ;
  }

  /** Bytes consumed (read or skipped) from the start of the stream. */
  get offset(): number {
    return this.#offset;
  }

  get #buffered(): number {
    return this.#buf.length - this.#pos;
  }

  async #pull(): Promise<boolean> {
    if (this.#done) return false;
    const { value, done } = await this.#reader.read();
    if (done) {
      this.#done = true;
      return false;
    }
    if (value.length === 0) return true;
    this.#onChunk?.(value);
    if (this.#buffered === 0) {
      this.#buf = value;
    } else {
      const merged = new Uint8Array(this.#buffered + value.length);
      merged.set(this.#buf.subarray(this.#pos));
      merged.set(value, this.#buffered);
      this.#buf = merged;
    }
    this.#pos = 0;
    return true;
  }

  /** Fills the buffer up to n bytes; returns false if the stream ended first. */
  async #fill(n: number): Promise<boolean> {
    while (this.#buffered < n) {
      if (!(await this.#pull())) return false;
    }
    return true;
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
    if (!(await this.#fill(n))) throw this.#short(n, what);
    const out = this.#buf.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    this.#offset += n;
    return out;
  }

  /** Reads up to n bytes (fewer only at the end of the stream). */
  async readUpTo(n: number): Promise<Uint8Array> {
    await this.#fill(n);
    const take = Math.min(n, this.#buffered);
    const out = this.#buf.slice(this.#pos, this.#pos + take);
    this.#pos += take;
    this.#offset += take;
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill(1));
  }

  /** Skips exactly n bytes (they still pass through onChunk); throws if the stream ends first. */
  async skip(n: number, what = "the data"): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.#buffered === 0 && !(await this.#pull())) throw this.#short(left, what);
      const take = Math.min(left, this.#buffered);
      this.#pos += take;
      this.#offset += take;
      left -= take;
    }
  }

  /** Skips everything left; returns how many bytes were skipped. */
  async skipToEnd(): Promise<number> {
    let skipped = this.#buffered;
    this.#offset += skipped;
    this.#pos = this.#buf.length;
    while (await this.#pull()) {
      skipped += this.#buffered;
      this.#offset += this.#buffered;
      this.#pos = this.#buf.length;
    }
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
        const take = Math.min(left, this.#buffered);
        controller.enqueue(this.#buf.slice(this.#pos, this.#pos + take));
        this.#pos += take;
        this.#offset += take;
        left -= take;
        if (left === 0) controller.close();
      },
    });
  }

  /** Stops reading and releases the underlying stream. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}
