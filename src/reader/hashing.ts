/**
 * Hashing of package files, every byte once. `MultiHasher` (util/multi_hasher.ts) feeds each
 * requested digest and a size counter on the calling thread, for index files and other small
 * data. `packageHasher()` does the same for package files on a small pool of
 * worker threads (`hash_worker.ts`, one per core), so that hashing uses every core while the main
 * thread reads and parses:
 *
 * - chunks the reader owns are transferred to the worker (no copy); others are copied, small ones
 *   gathered into 1 MiB messages;
 * - `update()` returns a promise while the worker has more than 4 MiB queued (backpressure), so
 *   memory stays bounded whatever the number of packages read at once;
 * - workers start when two jobs run at once (a lone package is hashed in place: no start-up
 *   cost); jobs go to the least busy worker (in place until a first worker has started, which
 *   proves the worker module loads); the workers stop once no job is left for 50 ms, so the
 *   process can exit;
 * - if a worker cannot start (e.g. a compiled binary without the worker module), hashing falls
 *   back to the calling thread.
 * @module
 */
import type { Checksums, HashName } from "../record/checksums.ts";
import { MkrepoError } from "../errors.ts";
import { MultiHasher } from "../util/multi_hasher.ts";
import { giveBuffer, POOL_BUFFER_SIZE, takeBuffer } from "../util/buffer_pool.ts";
import { type FileHashed, isByteStream } from "./byte_reader.ts";
import { readFileRange } from "../util/local_file.ts";
import { type ByteSource, byteSource } from "../util/byte_source.ts";

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

/** Messages to a hash worker. */
export type ToWorker =
  | { t: "start"; id: number; algorithms: readonly HashName[] }
  | { t: "data"; id: number; buffer: ArrayBuffer; offset: number; length: number }
  | { t: "file"; id: number; path: string; offset: number; length?: number }
  | { t: "end"; id: number }
  | { t: "drop"; id: number };

/** Messages from a hash worker. */
export type FromWorker =
  | { t: "ready"; id: 0 }
  | { t: "ack"; id: number; length: number; buffer: ArrayBuffer }
  | { t: "file"; id: number; bytes: number; eof: boolean; error?: string }
  | { t: "done"; id: number; size: number; digests: Record<string, string> }
  | { t: "error"; id: number; message: string };

function fileError(path: string, err: unknown): MkrepoError {
  return new MkrepoError({
    code: "storage",
    action: "read",
    key: path,
    reason: err instanceof Error ? err.message : String(err),
    cause: err,
  });
}

/** Bytes posted to one worker and not yet hashed before update() asks the caller to wait. */
const QUEUE_LIMIT = 4 * 1024 * 1024;
/** Chunks smaller than this are gathered into a buffer of STAGE_SIZE bytes before posting. */
const DIRECT_MIN = 256 * 1024;
const STAGE_SIZE = POOL_BUFFER_SIZE;
const MAX_WORKERS = 8;
/** Idle time after which the workers stop (the next package read may be about to start). */
const IDLE_MS = 50;

let workerCount = defaultWorkerCount();

function defaultWorkerCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return cores > 1 ? Math.min(cores, MAX_WORKERS) : 0;
}

/**
 * Sets how many hash workers may run (0: hash on the calling thread only); `undefined` restores
 * the default (one per core, none on a single core). Takes effect when the pool next starts.
 */
export function setHashWorkers(count: number | undefined): void {
  workerCount = count === undefined ? defaultWorkerCount() : Math.max(0, Math.floor(count));
}

/**
 * What the pool did so far (for tests and the benchmark); `workerFileBytes`: bytes of local
 * files a worker read and hashed itself (updateFromFile on a worker).
 */
export const hashPoolStats = { workerStarts: 0, remoteJobs: 0, localJobs: 0, workerFileBytes: 0 };

class PoolWorker {
  readonly worker: Worker;
  ready = false;
  dead = false;
  jobs = 0;
  queued = 0;
  readonly pending = new Map<number, RemoteJob>();
  #waiters: (() => void)[] = [];

  constructor(pool: HashPool) {
    this.worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.t === "ready") {
        this.ready = true;
        pool.proven = true;
      } else if (m.t === "ack") {
        this.queued -= m.length;
        giveBuffer(m.buffer);
        while (this.queued < QUEUE_LIMIT && this.#waiters.length > 0) this.#waiters.shift()!();
      } else if (m.t === "file") this.pending.get(m.id)?.fileDone(m);
      else this.pending.get(m.id)?.settle(m);
    };
    const fail = (e: Event, why: string) => {
      e.preventDefault();
      const message = e instanceof ErrorEvent && e.message ? e.message : why;
      pool.lost(this, message);
    };
    this.worker.onerror = (e) => fail(e, "hash worker failed");
    this.worker.onmessageerror = (e) => fail(e, "hash worker message error");
  }

  post(message: ToWorker, transfer: Transferable[] = []): void {
    if (!this.dead) this.worker.postMessage(message, transfer);
  }

  /** Resolves when the queue is below the limit again (or the worker is gone). */
  room(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops the worker and fails its unfinished jobs. */
  kill(message: string): void {
    if (this.dead) return;
    this.dead = true;
    this.worker.terminate();
    for (const job of [...this.pending.values()]) {
      job.settle({ t: "error", id: job.id, message });
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** The worker module (`new Worker` names it again, in the form scripts/compile.ts follows). */
const WORKER_URL = new URL("./hash_worker.ts", import.meta.url);

/**
 * False when the worker module is a local file that is not there (mkrepo bundled into one
 * file): hashing then stays on the calling thread, without Deno printing the failed load.
 * (`deno compile` embeds the module with `--include`; remote URLs are assumed present.)
 */
function workerModulePresent(): boolean {
  if (WORKER_URL.protocol !== "file:") return true;
  try {
    return Deno.statSync(WORKER_URL).isFile;
  } catch {
    return false;
  }
}

class HashPool {
  #workers: PoolWorker[] = [];
  #active = 0;
  #broken = false;
  /** A worker has started once: later ones are given jobs before they are ready. */
  proven = false;
  #nextId = 1;
  #idleTimer?: ReturnType<typeof setTimeout>;

  nextId(): number {
    return this.#nextId++;
  }

  /** A job starts: returns the worker to use, or undefined to hash in place. */
  begin(): PoolWorker | undefined {
    this.#active++;
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    if (this.#active >= 2 && this.#workers.length === 0 && !this.#broken && workerCount > 0) {
      if (!workerModulePresent()) this.#broken = true;
    }
    if (this.#active >= 2 && this.#workers.length === 0 && !this.#broken && workerCount > 0) {
      try {
        for (let i = 0; i < workerCount; i++) this.#workers.push(new PoolWorker(this));
        hashPoolStats.workerStarts++;
      } catch {
        this.#broken = true;
        this.#shutdown();
      }
    }
    let best: PoolWorker | undefined;
    for (const w of this.#workers) {
      if (w.dead || !(w.ready || this.proven)) continue;
      if (!best || w.jobs < best.jobs || (w.jobs === best.jobs && w.queued < best.queued)) {
        best = w;
      }
    }
    if (best) best.jobs++;
    return best;
  }

  /** A job has finished (or was abandoned). */
  end(worker: PoolWorker | undefined): void {
    if (worker) worker.jobs--;
    if (--this.#active === 0 && this.#workers.length > 0) {
      // Not at once: the next job may start in a moment. The timer does not keep the process
      // up (the workers do, until it fires).
      const timer = setTimeout(() => {
        this.#idleTimer = undefined;
        if (this.#active === 0) this.#shutdown();
      }, IDLE_MS);
      Deno.unrefTimer(timer as unknown as number);
      this.#idleTimer = timer;
    }
  }

  /** A worker failed: jobs on it fail; one that never started disables the pool. */
  lost(worker: PoolWorker, message: string): void {
    if (!worker.ready) this.#broken = true;
    worker.kill(message);
    this.#workers = this.#workers.filter((w) => w !== worker);
  }

  #shutdown(): void {
    const workers = this.#workers;
    this.#workers = [];
    for (const w of workers) w.kill("hash pool stopped");
  }
}

const pool = new HashPool();

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
      pool.end(undefined);
    }
  }
}

class RemoteJob implements PackageHasher {
  readonly id = pool.nextId();
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
    pool.end(this.#worker);
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
 * A hasher for one package file: on a worker thread when the pool runs, else in place. Call
 * digest() or abort() exactly once at the end, or the pool's workers stay up.
 */
export function packageHasher(algorithms: readonly HashName[]): PackageHasher {
  return new SmallFirstJob(algorithms);
}

function pooledHasher(algorithms: readonly HashName[]): PackageHasher {
  const worker = pool.begin();
  return worker ? new RemoteJob(worker, algorithms) : new LocalJob(algorithms);
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
 * workers.
 */
class SmallFirstJob implements PackageHasher {
  readonly #algorithms: readonly HashName[];
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #inner?: PackageHasher;
  #done = false;

  constructor(algorithms: readonly HashName[]) {
    this.#algorithms = algorithms;
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
    return this.#promote().update(chunk, owned);
  }

  updateFromFile(path: string, offset: number, length?: number): Promise<FileHashed> {
    if (this.#done && !this.#inner) return Promise.resolve({ bytes: 0, eof: true });
    return (this.#inner ?? this.#promote()).updateFromFile(path, offset, length);
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

  #promote(): PackageHasher {
    const inner = pooledHasher(this.#algorithms);
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
  const { stream, file } = byteSource(input);
  const owned = isByteStream(stream);
  const hasher = packageHasher(algorithms);
  try {
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
