/**
 * Hashing of package files, every byte once. `MultiHasher` (util/multi_hasher.ts) feeds each
 * requested digest and a size counter on the calling thread, for index files and other small
 * data. `packageHasher()` does the same for package files, on the hash workers while they run
 * (hash_pool.ts, hash_jobs.ts: started by local payloads read at once), so that hashing uses
 * every core while the main thread reads and parses; `update()` returns a promise while the
 * worker is behind (backpressure), so memory stays bounded whatever the number of packages read
 * at once.
 * Small packages are hashed in place. `hashStream()` hashes a whole stream or byte source.
 * @module
 */
import type { Checksums, HashName } from "../record/checksums.ts";
import { MultiHasher } from "../util/multi_hasher.ts";
import { type ByteSource, byteSource, isByteStream } from "../util/byte_source.ts";
import type { FileHashed } from "./byte_reader.ts";
import { type PackageHasher, pooledHasher } from "./hash_jobs.ts";
import { hashPoolStats } from "./hash_pool.ts";

export type { PackageHasher } from "./hash_jobs.ts";
export { hashPoolStats, setHashWorkers, stopHashWorkers } from "./hash_pool.ts";

/**
 * A hasher for one package file: on a worker thread when the pool runs, else in place. Call
 * digest() or abort() exactly once at the end, or the pool's workers stay up. `fromFile`: the
 * package is read from a local file (its source names one), so its job may start the workers.
 */
export function packageHasher(algorithms: readonly HashName[], fromFile = false): PackageHasher {
  return new SmallFirstJob(algorithms, fromFile);
}

/**
 * Packages of at most this many bytes are hashed in place when digest() is called: for them a
 * worker job (start, data and end messages, a promise) costs more than the hashing (a 1 KiB
 * .deb: ~0.2 ms of messages against a few microseconds of md5 + sha256).
 */
const IN_PLACE_MAX = 64 * 1024;

/**
 * Holds the first IN_PLACE_MAX bytes; a package that ends there is hashed in place, one that
 * grows past it (or hands over a file range) becomes a pool job that is sent what was held.
 * Only such jobs count as running for the pool, so a stream of tiny packages never starts the
 * workers, nor do packages that are not read from local files.
 */
class SmallFirstJob implements PackageHasher {
  readonly #algorithms: readonly HashName[];
  readonly #fromFile: boolean;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #inner?: PackageHasher;
  #done = false;

  constructor(algorithms: readonly HashName[], fromFile: boolean) {
    this.#algorithms = algorithms;
    this.#fromFile = fromFile;
  }

  get size(): number {
    return this.#inner ? this.#inner.size : this.#heldBytes;
  }

  update(chunk: Uint8Array, owned = false): void | Promise<void> {
    if (this.#inner) return this.#inner.update(chunk, owned);
    if (this.#done || chunk.byteLength === 0) return;
    if (this.#heldBytes + chunk.byteLength <= IN_PLACE_MAX) {
      // Copied even when owned: a reader may reuse an owned buffer once its tap returns.
      this.#held.push(chunk.slice());
      this.#heldBytes += chunk.byteLength;
      return;
    }
    return this.#promote(false).update(chunk, owned);
  }

  updateFromFile(path: string, offset: number, length?: number): Promise<FileHashed> {
    if (this.#done && !this.#inner) return Promise.resolve({ bytes: 0, eof: true });
    return (this.#inner ?? this.#promote(true)).updateFromFile(path, offset, length);
  }

  digest(): Promise<Checksums> {
    if (this.#inner) return this.#inner.digest();
    if (this.#done) return Promise.reject(new Error("hash job already finished"));
    this.#done = true;
    hashPoolStats.localJobs++;
    const hasher = new MultiHasher(this.#algorithms);
    for (const part of this.#held) hasher.update(part);
    this.#held = [];
    return Promise.resolve(hasher.digest());
  }

  abort(): void {
    this.#done = true;
    this.#held = [];
    this.#inner?.abort();
  }

  #promote(forFile: boolean): PackageHasher {
    const inner = pooledHasher(this.#algorithms, forFile || this.#fromFile);
    // Held parts are this job's own (copied or given): they may be transferred.
    for (const part of this.#held) void inner.update(part, true);
    this.#held = [];
    this.#heldBytes = 0;
    this.#inner = inner;
    return inner;
  }
}

/**
 * Hashes a whole stream with the given algorithms (on the hash workers when they run); of a
 * source that names its local file, the file is read by the thread that hashes.
 */
export async function hashStream(
  input: ReadableStream<Uint8Array> | ByteSource,
  algorithms: readonly HashName[],
): Promise<Checksums> {
  const { stream, bytes, file } = byteSource(input);
  const hasher = packageHasher(algorithms, file !== undefined);
  try {
    if (!stream) {
      const wait = hasher.update(bytes, true);
      if (wait) await wait;
      return await hasher.digest();
    }
    const owned = isByteStream(stream);
    if (file) {
      await stream.cancel().catch(() => {});
      const length = file.end === undefined ? undefined : file.end - file.start;
      await hasher.updateFromFile(file.path, file.start, length);
      return await hasher.digest();
    }
    for await (const chunk of stream) {
      const wait = hasher.update(chunk, owned);
      if (wait) await wait;
    }
    return await hasher.digest();
  } finally {
    hasher.abort();
  }
}
