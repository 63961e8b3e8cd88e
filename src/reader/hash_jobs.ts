/**
 * Package hashing jobs: the digests of one package computed in place (LocalJob) or on a hash
 * worker (RemoteJob, hash_pool.ts). Chunks the reader owns are transferred to the worker (no
 * copy); others are copied, small ones gathered into 1 MiB messages; a local file range is read
 * by the thread that hashes it.
 * @module
 */
import type { Checksums, HashName } from "../record/checksums.ts";
import { MkrepoError } from "../errors.ts";
import { MultiHasher } from "../util/multi_hasher.ts";
import { POOL_BUFFER_SIZE, takeBuffer } from "../util/buffer_pool.ts";
import { readFileRange } from "../util/local_file.ts";
import type { FileHashed } from "./byte_reader.ts";
import {
  type FromWorker,
  hashPool,
  hashPoolStats,
  type PoolWorker,
  QUEUE_LIMIT,
} from "./hash_pool.ts";

/** Hashes the bytes of one package; the digests may be computed on another thread. */
export interface PackageHasher {
  /**
   * Feeds bytes, in order. `owned`: the caller gives the chunk (and its whole ArrayBuffer) away,
   * so it may be transferred instead of copied. When a promise is returned, wait for it before
   * feeding more.
   */
  update(chunk: Uint8Array, owned?: boolean): void | Promise<void>;
  /**
   * Feeds bytes [offset, offset + length) of a local file (to its end without a length), read
   * by the thread that hashes; resolves with the count hashed and whether the file ends there.
   */
  updateFromFile(path: string, offset: number, length?: number): Promise<FileHashed>;
  /** Bytes fed so far. */
  readonly size: number;
  /** Finishes the digests; call once, after the last update. */
  digest(): Promise<Checksums>;
  /** Abandons the job (after an error); harmless after digest() or a second time. */
  abort(): void;
}

function fileError(path: string, err: unknown): MkrepoError {
  return new MkrepoError({
    code: "storage",
    action: "read",
    key: path,
    reason: err instanceof Error ? err.message : String(err),
    cause: err,
  });
}

/** Chunks smaller than this are gathered into a buffer of STAGE_SIZE bytes before posting. */
const DIRECT_MIN = 256 * 1024;
const STAGE_SIZE = POOL_BUFFER_SIZE;

class LocalJob implements PackageHasher {
  #hasher: MultiHasher;
  #open = true;

  constructor(algorithms: readonly HashName[]) {
    this.#hasher = new MultiHasher(algorithms);
    hashPoolStats.localJobs++;
  }

  update(chunk: Uint8Array): void {
    this.#hasher.update(chunk);
  }

  updateFromFile(path: string, offset: number, length?: number): Promise<FileHashed> {
    try {
      return Promise.resolve(readFileRange(path, offset, length, (b) => this.#hasher.update(b)));
    } catch (err) {
      return Promise.reject(fileError(path, err));
    }
  }

  get size(): number {
    return this.#hasher.size;
  }

  digest(): Promise<Checksums> {
    try {
      return Promise.resolve(this.#hasher.digest());
    } finally {
      this.#close();
    }
  }

  abort(): void {
    this.#close();
  }

  #close(): void {
    if (this.#open) {
      this.#open = false;
      hashPool.end(undefined);
    }
  }
}

class RemoteJob implements PackageHasher {
  readonly id = hashPool.nextId();
  #worker: PoolWorker;
  #size = 0;
  #stage?: Uint8Array;
  #staged = 0;
  #open = true;
  #ended = false;
  #result: Promise<Checksums>;
  #fileWaiter?: { resolve(r: FileHashed): void; reject(e: Error): void; path: string };
  #resolve!: (c: Checksums) => void;
  #reject!: (e: Error) => void;

  constructor(worker: PoolWorker, algorithms: readonly HashName[]) {
    this.#worker = worker;
    this.#result = new Promise<Checksums>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#result.catch(() => {}); // observed through digest()
    worker.pending.set(this.id, this);
    worker.post({ t: "start", id: this.id, algorithms });
    hashPoolStats.remoteJobs++;
  }

  get size(): number {
    return this.#size;
  }

  update(chunk: Uint8Array, owned = false): void | Promise<void> {
    const n = chunk.byteLength;
    if (n === 0 || !this.#open || this.#ended) return;
    this.#size += n;
    if (n < DIRECT_MIN) {
      let at = 0;
      while (at < n) {
        this.#stage ??= takeBuffer(STAGE_SIZE);
        const take = Math.min(n - at, STAGE_SIZE - this.#staged);
        this.#stage.set(chunk.subarray(at, at + take), this.#staged);
        this.#staged += take;
        at += take;
        if (this.#staged === STAGE_SIZE) this.#flush();
      }
    } else {
      this.#flush();
      const transferable = owned && chunk.buffer instanceof ArrayBuffer;
      this.#send(transferable ? chunk : chunk.slice());
    }
    if (this.#worker.queued >= QUEUE_LIMIT && !this.#worker.dead) return this.#worker.room();
  }

  updateFromFile(path: string, offset: number, length?: number): Promise<FileHashed> {
    if (!this.#open || this.#ended) return this.#result.then(() => ({ bytes: 0, eof: true }));
    this.#flush();
    return new Promise<FileHashed>((resolve, reject) => {
      this.#fileWaiter = { resolve, reject, path };
      this.#worker.post({ t: "file", id: this.id, path, offset, length });
    });
  }

  /** The worker's answer to a file range. */
  fileDone(m: Extract<FromWorker, { t: "file" }>): void {
    const waiter = this.#fileWaiter;
    this.#fileWaiter = undefined;
    if (!waiter) return;
    if (m.error !== undefined) waiter.reject(fileError(waiter.path, new Error(m.error)));
    else {
      this.#size += m.bytes;
      hashPoolStats.workerFileBytes += m.bytes;
      waiter.resolve({ bytes: m.bytes, eof: m.eof });
    }
  }

  digest(): Promise<Checksums> {
    if (this.#open && !this.#ended) {
      this.#ended = true;
      this.#flush();
      this.#worker.post({ t: "end", id: this.id });
    }
    return this.#result;
  }

  abort(): void {
    if (!this.#open) return;
    this.#worker.post({ t: "drop", id: this.id });
    this.settle({ t: "error", id: this.id, message: "hash job abandoned" });
  }

  /** The worker's answer (or a failure): finishes the job. */
  settle(m: FromWorker): void {
    if (!this.#open) return;
    this.#open = false;
    this.#stage = undefined;
    this.#worker.pending.delete(this.id);
    if (this.#fileWaiter) {
      const message = m.t === "error" ? m.message : "hash job finished during a file read";
      this.#fileWaiter.reject(
        new MkrepoError({ code: "internal", action: "hash", reason: message }),
      );
      this.#fileWaiter = undefined;
    }
    if (m.t === "done") {
      const out: Checksums = { size: m.size };
      for (const [name, hex] of Object.entries(m.digests)) out[name as HashName] = hex;
      this.#resolve(out);
    } else {
      const reason = m.t === "error" ? m.message : "unexpected hash worker reply";
      this.#reject(new MkrepoError({ code: "internal", action: "hash", reason }));
    }
    hashPool.end(this.#worker);
  }

  #flush(): void {
    if (this.#staged === 0 || !this.#stage) return;
    const view = this.#stage.subarray(0, this.#staged);
    this.#stage = undefined;
    this.#staged = 0;
    this.#send(view);
  }

  #send(view: Uint8Array): void {
    this.#worker.queued += view.byteLength;
    this.#worker.post(
      {
        t: "data",
        id: this.id,
        buffer: view.buffer as ArrayBuffer,
        offset: view.byteOffset,
        length: view.byteLength,
      },
      [view.buffer as ArrayBuffer],
    );
  }
}

/**
 * A job begun while the workers start for the first time: what it is fed waits (the caller
 * waits for each promise) until a worker is ready, then goes to it; in place if none starts.
 * Without it, the few packages begun meanwhile were hashed whole on the calling thread, file
 * ranges included (1,000 real-size debs: ~430 ms of the main thread).
 */
class WaitingJob implements PackageHasher {
  readonly #job: Promise<PackageHasher>;
  #inner?: PackageHasher;
  #fed = 0;
  #aborted = false;

  constructor(started: Promise<void>, algorithms: readonly HashName[]) {
    this.#job = started.then(() => {
      const worker = hashPool.assign();
      const inner = worker ? new RemoteJob(worker, algorithms) : new LocalJob(algorithms);
      if (this.#aborted) inner.abort();
      return this.#inner = inner;
    });
  }

  get size(): number {
    return this.#inner?.size ?? this.#fed;
  }

  update(chunk: Uint8Array, owned = false): void | Promise<void> {
    if (this.#inner) return this.#inner.update(chunk, owned);
    this.#fed += chunk.byteLength;
    return this.#job.then((inner) => inner.update(chunk, owned));
  }

  updateFromFile(path: string, offset: number, length?: number): Promise<FileHashed> {
    return this.#job.then((inner) => inner.updateFromFile(path, offset, length));
  }

  digest(): Promise<Checksums> {
    return this.#job.then((inner) => inner.digest());
  }

  abort(): void {
    this.#aborted = true;
    this.#inner?.abort();
  }
}

/**
 * A job on the least busy hash worker; while the workers first start, one that waits for them;
 * else in place. `forFile`: it is being handed a local file range (only such a job starts the
 * workers, see HashPool.begin).
 */
export function pooledHasher(algorithms: readonly HashName[], forFile: boolean): PackageHasher {
  const worker = hashPool.begin(forFile);
  if (worker) return new RemoteJob(worker, algorithms);
  const starting = hashPool.starting();
  return starting ? new WaitingJob(starting, algorithms) : new LocalJob(algorithms);
}
