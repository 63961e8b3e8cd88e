/**
 * The hash workers: a small pool of worker threads (`hash_worker.ts`, one per core) that the
 * package hashers of hash_jobs.ts post their bytes (or a local file range to read) to.
 *
 * - workers start when a second job of the run is handed a local file range (a payload for the
 *   worker to read; a lone package is hashed in place: no start-up cost). Counted over the run,
 *   not among running jobs: a payload hashed in place is done before the next read starts, so
 *   jobs never overlap until the workers run. While they run, streamed jobs go to them too.
 *   Sources without a file (S3) never start them: the main thread hashes while it waits for
 *   the network (over moto the workers saved no time and their isolates cost 20–25 MiB);
 * - jobs go to the least busy worker; those begun before a first worker has started (which
 *   proves the worker module loads) wait for it (hash_jobs.ts WaitingJob); the workers stop
 *   once no job is left for 50 ms, so the process can exit, or at once when a run's reading is
 *   over (`stopHashWorkers()`);
 * - a worker acknowledges every data message once hashed; a worker with more than 4 MiB queued
 *   makes its jobs' callers wait (backpressure);
 * - if a worker cannot start (e.g. a compiled binary without the worker module), hashing falls
 *   back to the calling thread.
 * @module
 */
import type { HashName } from "../record/checksums.ts";
import { giveBuffer } from "../util/buffer_pool.ts";

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

/** A job on a worker, as the worker's replies reach it (hash_jobs.ts RemoteJob). */
export interface WorkerJob {
  readonly id: number;
  /** The worker's final answer (or a failure). */
  settle(m: FromWorker): void;
  /** The worker's answer to a file range. */
  fileDone(m: Extract<FromWorker, { t: "file" }>): void;
}

/** Bytes posted to one worker and not yet hashed before update() asks the caller to wait. */
export const QUEUE_LIMIT = 4 * 1024 * 1024;
const MAX_WORKERS = 8;
/** Longest a job waits for the first worker to start before it is hashed in place. */
const START_WAIT_MS = 10_000;
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
export const hashPoolStats = {
  workerStarts: 0,
  workerStops: 0,
  remoteJobs: 0,
  localJobs: 0,
  workerFileBytes: 0,
};

/** One hash worker thread and the jobs it runs. */
export class PoolWorker {
  readonly worker: Worker;
  ready = false;
  dead = false;
  jobs = 0;
  queued = 0;
  readonly pending = new Map<number, WorkerJob>();
  #waiters: (() => void)[] = [];

  constructor(pool: HashPool) {
    this.worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.t === "ready") {
        this.ready = true;
        pool.started();
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
  #fileJobs = 0;
  #broken = false;
  /** A worker has started once: later ones are given jobs before they are ready. */
  #proven = false;
  /** Jobs waiting for the first worker to be ready (or for the pool to fail). */
  #startWaiters: (() => void)[] = [];
  #nextId = 1;
  #idleTimer?: ReturnType<typeof setTimeout>;

  nextId(): number {
    return this.#nextId++;
  }

  /**
   * A job starts (`forFile`: with a local file range): returns the worker to use, or undefined
   * to hash in place (or, while the workers start, to wait for them: starting()).
   */
  begin(forFile: boolean): PoolWorker | undefined {
    this.#active++;
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    if (forFile) this.#fileJobs++;
    const start = () =>
      forFile && this.#fileJobs >= 2 && this.#workers.length === 0 && !this.#broken &&
      workerCount > 0;
    if (start() && !workerModulePresent()) this.#broken = true;
    if (start()) {
      try {
        for (let i = 0; i < workerCount; i++) this.#workers.push(new PoolWorker(this));
        hashPoolStats.workerStarts++;
      } catch {
        this.#broken = true;
        this.#shutdown();
      }
    }
    return this.assign();
  }

  /**
   * The least busy worker that may take a job (counted on it), or undefined. Only for a job
   * that begin() counted already.
   */
  assign(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) {
      if (w.dead || !(w.ready || this.#proven)) continue;
      if (!best || w.jobs < best.jobs || (w.jobs === best.jobs && w.queued < best.queued)) {
        best = w;
      }
    }
    if (best) best.jobs++;
    return best;
  }

  /**
   * While the workers are starting for the first time (none ready yet), a promise that settles
   * once one is ready or the pool has failed; undefined otherwise. A job handed a local file
   * range waits for it rather than hash the whole range on the calling thread.
   */
  starting(): Promise<void> | undefined {
    if (this.#proven || this.#broken || !this.#workers.some((w) => !w.dead)) return undefined;
    return new Promise((resolve) => {
      // A worker that neither starts nor fails must not hold the run: the job then goes in place.
      const timer = setTimeout(resolve, START_WAIT_MS);
      Deno.unrefTimer(timer);
      this.#startWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A worker is ready: the worker module loads, so later workers get jobs before they are. */
  started(): void {
    this.#proven = true;
    this.#wakeStartWaiters();
  }

  #wakeStartWaiters(): void {
    for (const wake of this.#startWaiters.splice(0)) wake();
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

  /** Stops the workers now if no job runs (else they stop once idle, as usual). */
  stopIdle(): void {
    if (this.#active > 0) return;
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    this.#shutdown();
  }

  /** A worker failed: jobs on it fail; one that never started disables the pool. */
  lost(worker: PoolWorker, message: string): void {
    if (!worker.ready) this.#broken = true;
    worker.kill(message);
    this.#workers = this.#workers.filter((w) => w !== worker);
    if (this.#broken) this.#wakeStartWaiters();
  }

  #shutdown(): void {
    const workers = this.#workers;
    if (workers.length > 0) hashPoolStats.workerStops++;
    this.#workers = [];
    for (const w of workers) w.kill("hash pool stopped");
    this.#wakeStartWaiters();
  }
}

/** The process's hash pool. */
export const hashPool = new HashPool();

/**
 * Stops the hash workers now, when no package is being hashed: for the end of a run's reading,
 * so that their isolates (~20 MiB) are gone before the index encoders need memory, instead of
 * 50 ms later (the encoders keep the thread busy well past that). Harmless when none run; a
 * later job starts them again.
 */
export function stopHashWorkers(): void {
  hashPool.stopIdle();
}
