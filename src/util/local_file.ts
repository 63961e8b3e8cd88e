/**
 * Reading stretches of a local file by position. A storage that keeps objects in local files
 * describes the file behind an object as a `LocalFileRange` (storage/storage.ts `readSource`);
 * a reader that only needs to hash a long stretch (a package's payload) hands that stretch to
 * the thread that hashes (a hash worker reads it with `readFileRange`), and goes on reading the
 * file with a `FileCursor` instead of pulling the bytes through the stream.
 * @module
 */

/** The bytes [start, end) of a local file (plain data: it can be posted to a worker). */
export interface LocalFileRange {
  /** Absolute path of the file. */
  path: string;
  /** File offset of the first byte. */
  start: number;
  /** File offset just past the last byte (undefined: the end of the file). */
  end?: number;
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

/** Reads a local file forward from a position; the file is opened on the first read. */
export class FileCursor {
  readonly path: string;
  #position: number;
  #file?: Deno.FsFile;
  #seek = false; // the position moved since the file was last read

  constructor(path: string, position: number) {
    this.path = path;
    this.#position = position;
  }

  /** Moves to a file offset (the next read starts there). */
  seek(position: number): void {
    this.#position = position;
    this.#seek = true;
  }

  /** Reads the next bytes into `into`; resolves with their count, or null at the end. */
  async read(into: Uint8Array): Promise<number | null> {
    if (!this.#file) {
      this.#file = await Deno.open(this.path, { read: true });
      this.#seek = true;
    }
    if (this.#seek) {
      await this.#file.seek(this.#position, Deno.SeekMode.Start);
      this.#seek = false;
    }
    const n = await this.#file.read(into);
    if (n !== null) this.#position += n;
    return n;
  }

  /** Closes the file (harmless when it was never opened or is closed already). */
  close(): void {
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = undefined;
  }
}
