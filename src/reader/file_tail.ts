/**
 * The local file behind a ByteReader's source (util/byte_source.ts): long skips are handed to
 * the hashing tap, which hashes that stretch of the file itself (on a hash worker), and what
 * follows is read from the file with a FileCursor instead of through the stream.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { giveBuffer, takeBuffer } from "../util/buffer_pool.ts";
import { FileCursor, type LocalFileRange } from "../util/local_file.ts";

/** What hashFile did. */
export interface FileHashed {
  bytes: number;
  eof: boolean;
}

/**
 * Hashes bytes [offset, offset + length) of a local file (to its end without a length) as if
 * they had gone through the reader's tap; resolves with the number of bytes hashed and whether
 * the file ends right after them.
 */
export type HashFile = (path: string, offset: number, length?: number) => Promise<FileHashed>;

/** Skips shorter than this are pulled through the stream even for a local file. */
const FILE_SKIP_MIN = 1024 * 1024;
/**
 * skipToEnd looks up how much of the file is left (a stat) only after a chunk at least this
 * long: a shorter one was the whole of a small file.
 */
const FILE_TAIL_HINT = 32 * 1024;

/** A source's local file: delegated skips, then reads from the file. */
export class FileTail {
  readonly #file: LocalFileRange;
  readonly #hashFile: HashFile;
  readonly #key: string;
  #cursor?: FileCursor;

  constructor(file: LocalFileRange, hashFile: HashFile, key: string) {
    this.#file = file;
    this.#hashFile = hashFile;
    this.#key = key;
  }

  /**
   * True when a skip of `rest` more bytes than are buffered should go to hashFile; when `rest`
   * is undefined, all that is left after `pulled` bytes into the source, the last chunk being
   * `lastChunk` bytes long.
   */
  delegates(pulled: number, rest: number | undefined, lastChunk: number): boolean {
    if (rest !== undefined) return rest >= FILE_SKIP_MIN;
    if (lastChunk < FILE_TAIL_HINT) return false;
    const file = this.#file;
    let end = file.end;
    try {
      end ??= Deno.statSync(file.path).size;
    } catch {
      return false; // the stream reports what is wrong with the file
    }
    return end - (file.start + pulled) >= FILE_SKIP_MIN;
  }

  /**
   * Has hashFile take `length` bytes (all that is left without a length) from `pulled` bytes
   * into the source; returns the bytes hashed and whether nothing is left after them.
   */
  async delegate(
    pulled: number,
    length: number | undefined,
  ): Promise<{ bytes: number; done: boolean }> {
    const file = this.#file;
    const at = file.start + pulled;
    let want = length;
    if (file.end !== undefined) want = Math.min(want ?? Infinity, Math.max(0, file.end - at));
    const { bytes, eof } = await this.#hashFile(file.path, at, want);
    const done = eof || want === undefined || (file.end !== undefined && at + bytes >= file.end);
    if (done) this.close();
    else this.#cursor?.seek(file.start + pulled + bytes);
    return { bytes, done };
  }

  /** The next chunk of the file, `pulled` bytes into the source. */
  async read(pulled: number): Promise<ReadableStreamReadResult<Uint8Array>> {
    const file = this.#file;
    const at = file.start + pulled;
    const left = file.end === undefined ? Infinity : file.end - at;
    if (left <= 0) return { done: true, value: undefined };
    try {
      this.#cursor ??= new FileCursor(file.path, at);
      const buf = takeBuffer();
      const n = await this.#cursor.read(left < buf.length ? buf.subarray(0, left) : buf);
      if (n === null) {
        giveBuffer(buf.buffer);
        return { done: true, value: undefined };
      }
      return { done: false, value: buf.subarray(0, n) };
    } catch (err) {
      this.close();
      throw new MkrepoError({
        code: "storage",
        action: "read",
        key: this.#key,
        reason: err instanceof Error ? err.message : String(err),
        cause: err,
      });
    }
  }

  /** Closes the file (harmless when it is not open). */
  close(): void {
    this.#cursor?.close();
    this.#cursor = undefined;
  }
}
