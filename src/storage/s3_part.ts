/**
 * One part of a ranged S3 read: the GET of bytes [from, to) through a {@linkcode FetchRange}
 * callback (so nothing here knows the SDK), checked to start at the requested byte, resumed
 * from the last byte received when the body is cut or stalls, and read straight into the
 * part's own pooled 1 MiB buffers (a BYOB reader: no buffer per network chunk) for the reader
 * to take.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { giveBuffer, POOL_BUFFER_SIZE, takeBuffer } from "../util/buffer_pool.ts";
import { backoffDelay, isTransient, sleep } from "./retry.ts";

/** What a ranged GET answered, as the SDK hands it out (the body a fetch byte stream). */
export interface RangeAnswer {
  body: ReadableStream<Uint8Array> | null | undefined;
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
  body: RangeAnswer["body"];
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

/**
 * Fetches bytes [from, to) into `buffer`, resuming after a cut body from the last byte kept.
 * After a first cut, each read's bytes are kept at once (PartBuffer.seal), so that a link that
 * keeps failing loses at most one read's worth each time.
 */
export async function pumpPart(
  from: number,
  to: number,
  etag: string | undefined,
  buffer: PartBuffer,
  signal: AbortSignal,
  options: PartFetchOptions,
  body?: RangeAnswer["body"],
): Promise<void> {
  const attempts = options.attempts;
  const at = () => from + buffer.received;
  let failures = 0;
  let resumes = 0;
  while (at() < to) {
    const startedAt = at();
    try {
      const current = body ?? (await openRange(startedAt, to, etag, signal, options)).body;
      body = undefined;
      await readBody(current, buffer, to - startedAt, signal, resumes > 0);
      if (signal.aborted) return;
      if (at() < to) throw new Error(`body ended early at byte ${at()}, expected ${to}`);
    } catch (err) {
      if (signal.aborted) return;
      failures = at() > startedAt ? 1 : failures + 1;
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
 * A reader waiting for a part gets the bytes gathered so far once there are this many (or the
 * part is complete); the hash workers take chunks this long without copying them.
 */
const HAND_OVER_MIN = 256 * 1024;

/**
 * The bytes of one part, read into pooled 1 MiB buffers owned by this read; the reader takes
 * whole buffers, or what is there. The buffer being filled is lent to the body's reader
 * between {@linkcode space} and {@linkcode filled} (or {@linkcode dropFill}); a reader that
 * waits meanwhile gets the bytes gathered before once that read returns.
 */
export class PartBuffer {
  #ready: Uint8Array[] = [];
  #fill?: Uint8Array;
  #filled = 0;
  #lent = false;
  #wake?: () => void;
  /** Bytes of the part received and kept so far. */
  received = 0;
  /** Bytes of the budget this part still holds. */
  reserved: number;
  done = false;
  error: unknown;

  constructor(length: number) {
    this.reserved = length;
  }

  /** Room for at most `max` more bytes, in the buffer being filled; lent until filled(). */
  space(max: number): Uint8Array {
    this.#fill ??= takeBuffer(POOL_BUFFER_SIZE);
    this.#lent = true;
    return this.#fill.subarray(this.#filled, Math.min(this.#fill.length, this.#filled + max));
  }

  /** The lent room comes back (its buffer transferred) holding `view.length` new bytes. */
  filled(view: Uint8Array): void {
    this.#fill = new Uint8Array(view.buffer as ArrayBuffer);
    this.#lent = false;
    this.#filled += view.length;
    this.received += view.length;
    if (this.#filled === this.#fill.length) this.seal();
    else if (this.#wake !== undefined && this.#filled >= HAND_OVER_MIN) this.seal();
    else if (view.length > 0) this.#signal();
  }

  /** Makes the bytes gathered in the buffer being filled ready to take; the next go elsewhere. */
  seal(): void {
    if (this.#filled > 0) this.#ready.push(this.#fill!.subarray(0, this.#filled));
    this.#fill = undefined;
    this.#filled = 0;
    this.#signal();
  }

  /**
   * The lent room is lost (a failed read keeps its buffer), with the bytes gathered before it
   * in the same buffer, which no reader has had: they no longer count as received.
   */
  dropFill(): void {
    this.received -= this.#filled;
    this.#fill = undefined;
    this.#filled = 0;
    this.#lent = false;
  }

  finish(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.#signal();
  }

  /**
   * The next ready buffer, else the bytes gathered so far when there are HAND_OVER_MIN of them
   * or the part is complete; undefined when none. The caller owns what it gets.
   */
  take(): Uint8Array | undefined {
    if (this.#ready.length > 0) return this.#ready.shift();
    if (this.#lent || this.#filled === 0 || (this.#filled < HAND_OVER_MIN && !this.done)) {
      return undefined;
    }
    const out = this.#fill!.subarray(0, this.#filled);
    this.#fill = undefined;
    this.#filled = 0;
    return out;
  }

  /** Gives the buffers not taken back to the pool (nothing may be read into them any more). */
  discard(): void {
    for (const b of this.#ready.splice(0)) giveBuffer(b.buffer);
    if (this.#fill && !this.#lent) giveBuffer(this.#fill.buffer);
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

/** A body that sends nothing for this long is given up on (and resumed, like a cut one). */
const BODY_STALL_MS = 120_000;

/**
 * Reads at most `length` bytes of a body into `buffer` with a BYOB reader, so that they land
 * in the part's own buffers. A failed read loses the buffer it had (PartBuffer.dropFill);
 * `keepEach` seals each read's bytes at once, so that no more than one read is lost.
 */
async function readBody(
  body: RangeAnswer["body"],
  buffer: PartBuffer,
  length: number,
  signal: AbortSignal,
  keepEach: boolean,
): Promise<void> {
  if (!body) return;
  const reader = body.getReader({ mode: "byob" });
  const stop = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  let stall: ReturnType<typeof setTimeout> | undefined;
  let left = length;
  try {
    while (left > 0) {
      stall = setTimeout(stop, BODY_STALL_MS);
      let got: ReadableStreamReadResult<Uint8Array>;
      try {
        got = await reader.read(buffer.space(left));
      } catch (err) {
        buffer.dropFill();
        throw new Error("body ended early", { cause: err });
      }
      clearTimeout(stall);
      if (got.value === undefined) buffer.dropFill();
      else {
        buffer.filled(got.value);
        left -= got.value.length;
        if (keepEach) buffer.seal();
      }
      if (got.done) break;
    }
  } finally {
    clearTimeout(stall);
    signal.removeEventListener("abort", stop);
    // Done with the body: a server that sends more than asked is not read further.
    if (left <= 0) stop();
    reader.releaseLock();
  }
}

/** Releases a response body that will not be read. */
function discardBody(body: RangeAnswer["body"]): void {
  body?.cancel().catch(() => {});
}
