/**
 * One part of a ranged S3 read: the GET of bytes [from, to) through a {@linkcode FetchRange}
 * callback (so nothing here knows the SDK), checked to start at the requested byte, resumed
 * from the last byte received when the body is cut, and copied into the part's own buffers
 * (at most 1 MiB each, pooled) for the reader to take.
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
export interface OpenedRange {
  body: unknown;
  etag?: string;
  /** Size of the whole object. */
  total: number;
  /** Bytes in this answer. */
  length: number;
}

/** How one part is fetched: the request, retries, and the object's name for errors. */
export interface PartFetchOptions {
  fetchRange: FetchRange;
  /** The object as `describe(key)` names it, for errors. */
  where: string;
  /** Attempts per part without progress, the first included. */
  attempts: number;
  /** First backoff cap in ms. */
  baseDelayMs?: number;
}

/** Fetches bytes [from, to) into `buffer`, resuming after a cut body from the last byte. */
export async function pumpPart(
  from: number,
  to: number,
  etag: string | undefined,
  buffer: PartBuffer,
  signal: AbortSignal,
  options: PartFetchOptions,
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
export async function openRange(
  from: number,
  to: number,
  etag: string | undefined,
  signal: AbortSignal,
  options: PartFetchOptions,
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
export class PartBuffer {
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
