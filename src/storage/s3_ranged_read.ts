/**
 * The parallel ranged read behind the S3 backend's `read()`: an object larger than one part is
 * fetched in ranged parts, several in flight, delivered in order with at most `concurrency`
 * parts buffered; a body cut mid-way is resumed from the last byte received, pinned to the
 * first answer's ETag so parts never mix versions. Requests go through a {@linkcode FetchRange}
 * callback, so this module knows nothing of the SDK.
 *
 * Memory: the parts of all reads of one storage share a {@linkcode ReadBudget} of bytes fetched
 * or in flight and not yet handed to a reader. A read always gets the part its reader needs
 * next, even over the budget (so reads never wait on each other: a caller may hold one stream
 * while it opens another); parts fetched ahead of that need room in the budget. Bytes are
 * copied once, into buffers of at most 1 MiB (pooled) that the stream — a byte stream — hands
 * over to its reader, who may transfer them to a hash worker.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { giveBuffer, POOL_BUFFER_SIZE, takeBuffer } from "../util/buffer_pool.ts";
import { backoffDelay, isTransient, sleep } from "./retry.ts";

/** What a ranged GET answered, as the SDK hands it out. */
export interface RangeAnswer {
  body: unknown;
  etag?: string;
  contentRange?: string;
  contentLength?: number;
}

/** GETs bytes [from, to) (clamped at the end), pinned to `etag` when given; retried by the caller. */
export type FetchRange = (
  from: number,
  to: number,
  etag: string | undefined,
  signal: AbortSignal,
) => Promise<RangeAnswer>;

/** A checked answer: its body starts at the requested byte. */
interface OpenedRange {
  body: unknown;
  etag?: string;
  /** Size of the whole object. */
  total: number;
  /** Bytes in this answer. */
  length: number;
}

/** Options of {@linkcode rangedRead}. */
export interface RangedReadOptions {
  fetchRange: FetchRange;
  /** The object as `describe(key)` names it, for errors. */
  where: string;
  /** Turns the failure of a part into the error the stream's reader sees. */
  fail: (err: unknown) => Error;
  /** Bytes per part. */
  partSize: number;
  /** Parts of this read in flight or buffered at once. */
  concurrency: number;
  /** Bytes shared with the other reads of the storage (default: no limit but `concurrency`). */
  budget?: ReadBudget;
  /** Attempts per part without progress, the first included. */
  attempts: number;
  /** First backoff cap in ms. */
  baseDelayMs?: number;
}

/**
 * A waiting reader gets the bytes buffered so far once there are this many (or the part is
 * complete); the hash workers take chunks this long without copying them.
 */
const HAND_OVER_MIN = 256 * 1024;

/**
 * Bytes that the ranged reads of one storage may hold: fetched or in flight, not yet handed to
 * their readers. Each part takes its length when it starts and gives it back as its bytes are
 * handed over. Parts fetched ahead wait for room, first come first served; the part a read
 * needs next is taken at once ({@linkcode force}), so the total may exceed the limit by at most
 * one part per open read.
 */
export class ReadBudget {
  readonly limit: number;
  #used = 0;
  #peak = 0;
  #waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes taken now. */
  get used(): number {
    return this.#used;
  }

  /** Most bytes taken at once so far. */
  get peak(): number {
    return this.#peak;
  }

  /** Takes `bytes` if they fit and nobody waits; true when taken. */
  tryTake(bytes: number): boolean {
    if (this.#waiting.length > 0 || this.#used + bytes > this.limit) return false;
    this.force(bytes);
    return true;
  }

  /** Takes `bytes` at once, over the limit if need be. */
  force(bytes: number): void {
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }

  /**
   * Calls `grant` (synchronously, from a later `release`) once `bytes` are taken for the
   * caller, after the earlier waiters. Returns a function that withdraws the request.
   */
  wait(bytes: number, grant: () => void): () => void {
    const entry = { bytes, grant };
    this.#waiting.push(entry);
    return () => {
      const i = this.#waiting.indexOf(entry);
      if (i >= 0) this.#waiting.splice(i, 1);
      this.#grant(); // a withdrawn first request may have held back smaller ones
    };
  }

  /** Gives `bytes` back and lets waiting requests in. */
  release(bytes: number): void {
    this.#used -= bytes;
    this.#grant();
  }

  #grant(): void {
    while (this.#waiting.length > 0 && this.#used + this.#waiting[0].bytes <= this.limit) {
      const entry = this.#waiting.shift()!;
      this.force(entry.bytes);
      entry.grant();
    }
  }
}

/**
 * Streams bytes [start, stop) (to the end when `stop` is undefined). The first part is
 * requested before this resolves, so a failure of it (e.g. no such object) rejects as it is.
 */
export async function rangedRead(
  start: number,
  stop: number | undefined,
  options: RangedReadOptions,
): Promise<ReadableStream<Uint8Array>> {
  const abort = new AbortController();
  const firstStop = Math.min(stop ?? Infinity, start + options.partSize);
  const first = await openRange(start, firstStop, undefined, abort.signal, options);
  const end = Math.min(stop ?? first.total, first.total);
  const parts: Array<[number, number]> = [[start, Math.min(end, start + first.length)]];
  for (let at = parts[0][1]; at < end; at += options.partSize) {
    parts.push([at, Math.min(end, at + options.partSize)]);
  }
  return partsStream(parts, first, abort, options);
}

/**
 * Streams `parts` in order, keeping at most `concurrency` of them in flight or buffered, and
 * parts beyond the one being read only while the budget has room.
 */
function partsStream(
  parts: Array<[number, number]>,
  first: OpenedRange,
  abort: AbortController,
  options: RangedReadOptions,
): ReadableStream<Uint8Array> {
  const budget = options.budget ?? new ReadBudget(Infinity);
  const active: PartBuffer[] = [];
  const pumps: Promise<void>[] = [];
  let next = 0;
  let withdraw: (() => void) | undefined; // while a part waits for room in the budget
  let stopped = false;
  /** Starts the next part, its bytes already taken from the budget. */
  const startPart = () => {
    const [from, to] = parts[next];
    const buffer = new PartBuffer(to - from);
    const body = next === 0 ? first.body : undefined;
    next++;
    active.push(buffer);
    pumps.push(
      pumpPart(from, to, first.etag, buffer, abort.signal, options, body).then(
        () => buffer.finish(),
        (err) => buffer.finish(err ?? new Error("read failed")),
      ),
    );
  };
  /** Starts parts while allowed: the one the reader needs at once, later ones as room allows. */
  const fillUp = () => {
    while (
      !stopped && withdraw === undefined && next < parts.length &&
      active.length < options.concurrency
    ) {
      const bytes = parts[next][1] - parts[next][0];
      if (active.length === 0) budget.force(bytes);
      else if (!budget.tryTake(bytes)) {
        withdraw = budget.wait(bytes, () => {
          withdraw = undefined;
          startPart();
          fillUp();
        });
        return;
      }
      startPart();
    }
  };
  const giveBack = (buffer: PartBuffer, bytes: number) => {
    const n = Math.min(bytes, buffer.reserved);
    buffer.reserved -= n;
    if (n > 0) budget.release(n);
  };
  const stopAll = async () => {
    stopped = true;
    abort.abort();
    withdraw?.();
    withdraw = undefined;
    for (const buffer of active) giveBack(buffer, buffer.reserved);
    await Promise.allSettled(pumps);
    for (const buffer of active.splice(0)) buffer.discard();
  };
  fillUp();
  return new ReadableStream({
    type: "bytes",
    pull: async (controller) => {
      for (;;) {
        if (stopped) return; // cancelled while this pull waited
        const current = active[0];
        if (current === undefined) return controller.close();
        const chunk = current.take(HAND_OVER_MIN);
        if (chunk !== undefined) {
          giveBack(current, chunk.length);
          // A byte stream hands the chunk's buffer over to the reader: nobody else holds it.
          return controller.enqueue(chunk as Uint8Array<ArrayBuffer>);
        }
        if (current.done) {
          if (current.error !== undefined) {
            await stopAll();
            throw options.fail(current.error);
          }
          giveBack(current, current.reserved);
          active.shift();
          if (active.length === 0) {
            // The reader needs the next part now: it does not wait for room.
            withdraw?.();
            withdraw = undefined;
          }
          fillUp();
          continue;
        }
        await current.wait();
      }
    },
    cancel: stopAll,
  }) as ReadableStream<Uint8Array>;
}

/** Fetches bytes [from, to) into `buffer`, resuming after a cut body from the last byte. */
async function pumpPart(
  from: number,
  to: number,
  etag: string | undefined,
  buffer: PartBuffer,
  signal: AbortSignal,
  options: RangedReadOptions,
  body?: unknown,
): Promise<void> {
  const attempts = options.attempts;
  let pos = from;
  let failures = 0;
  let resumes = 0;
  while (pos < to) {
    const startedAt = pos;
    try {
      const current = body ?? (await openRange(pos, to, etag, signal, options)).body;
      body = undefined;
      for await (const chunk of bodyChunks(current, signal)) {
        const piece = chunk.length > to - pos ? chunk.subarray(0, to - pos) : chunk;
        buffer.push(piece);
        pos += piece.length;
      }
      if (signal.aborted) return;
      if (pos < to) throw new Error(`body ended early at byte ${pos}, expected ${to}`);
    } catch (err) {
      if (signal.aborted) return;
      failures = pos > startedAt ? 1 : failures + 1;
      if (!isTransient(err) || failures >= attempts || ++resumes > attempts + 16) throw err;
      await sleep(backoffDelay(failures, { baseDelayMs: options.baseDelayMs }), signal);
    }
  }
}

/** Fetches bytes [from, to) and checks that the answer starts at `from`. */
async function openRange(
  from: number,
  to: number,
  etag: string | undefined,
  signal: AbortSignal,
  options: RangedReadOptions,
): Promise<OpenedRange> {
  const out = await options.fetchRange(from, to, etag, signal);
  const length = out.contentLength ?? 0;
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(out.contentRange ?? "");
  if (m && Number(m[1]) === from) {
    return { body: out.body, etag: out.etag, total: m[3] === "*" ? to : Number(m[3]), length };
  }
  if (!m && from === 0) return { body: out.body, etag: out.etag, total: length, length };
  discardBody(out.body);
  throw new MkrepoError({
    code: "storage",
    key: options.where,
    action: "read",
    reason: `the server answered a request for bytes ${from}-${to - 1} with ${
      out.contentRange ? `range ${out.contentRange}` : "the whole object"
    }`,
    hint: "the S3 server must support HTTP Range requests",
  });
}

/**
 * The bytes of one part, copied as they arrive into buffers of at most 1 MiB owned by this
 * read (pooled ones when full-sized); the reader takes whole buffers, or what is there.
 */
class PartBuffer {
  #ready: Uint8Array[] = [];
  #fill?: Uint8Array;
  #filled = 0;
  #left: number; // bytes of the part not yet pushed
  #wake?: () => void;
  /** Bytes of the budget this part still holds. */
  reserved: number;
  done = false;
  error: unknown;

  constructor(length: number) {
    this.#left = length;
    this.reserved = length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    let at = 0;
    while (at < chunk.length) {
      const size = this.#left > 0 ? Math.min(POOL_BUFFER_SIZE, this.#left) : POOL_BUFFER_SIZE;
      const fill = this.#fill ??= takeBuffer(size);
      const n = Math.min(chunk.length - at, fill.length - this.#filled);
      fill.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      this.#left -= n;
      at += n;
      if (this.#filled === fill.length) {
        this.#ready.push(fill);
        this.#fill = undefined;
        this.#filled = 0;
      }
    }
    this.#signal();
  }

  finish(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.#signal();
  }

  /**
   * The next full buffer, else the bytes gathered so far when there are at least `min` of them
   * or the part is complete; undefined when none. The caller owns what it gets.
   */
  take(min: number): Uint8Array | undefined {
    if (this.#ready.length > 0) return this.#ready.shift();
    if (this.#filled === 0 || (this.#filled < min && !this.done)) return undefined;
    const out = this.#fill!.subarray(0, this.#filled);
    this.#fill = undefined;
    this.#filled = 0;
    return out;
  }

  /** Gives the buffers not taken back to the pool (nothing may push any more). */
  discard(): void {
    for (const b of this.#ready.splice(0)) giveBuffer(b.buffer);
    if (this.#fill) giveBuffer(this.#fill.buffer);
    this.#fill = undefined;
    this.#filled = 0;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Chunks of an SDK body (a Node Readable, or a web stream) as Uint8Arrays. */
async function* bodyChunks(body: unknown, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (body === undefined || body === null) return;
  const onAbort = () => discardBody(body);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      // Node Buffers are Uint8Arrays; their bytes are copied into the part's own buffers.
      yield typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Releases a response body that will not be read. */
function discardBody(body: unknown): void {
  if (!body || typeof body !== "object") return;
  const b = body as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof b.destroy === "function") b.destroy();
  else if (typeof b.cancel === "function") b.cancel().catch(() => {});
}

/** A (byte) stream that ends at once. */
export function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ type: "bytes", start: (c) => c.close() }) as ReadableStream<
    Uint8Array
  >;
}
