/**
 * The parallel ranged read behind the S3 backend's `read()`: an object larger than one part is
 * fetched in ranged parts, several in flight, delivered in order with at most `concurrency`
 * parts buffered; a body cut mid-way is resumed from the last byte received, pinned to the
 * first answer's ETag so parts never mix versions. Requests go through a {@linkcode FetchRange}
 * callback, so this module knows nothing of the SDK.
 * @module
 */
import { MkrepoError } from "../errors.ts";
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
  /** Parts in flight or buffered at once. */
  concurrency: number;
  /** Attempts per part without progress, the first included. */
  attempts: number;
  /** First backoff cap in ms. */
  baseDelayMs?: number;
}

const MiB = 1024 * 1024;
/** Chunks smaller than this are merged, up to COALESCE_MAX, when several are already buffered. */
const COALESCE_MIN = 256 * 1024;
const COALESCE_MAX = 1 * MiB;

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

/** Streams `parts` in order, keeping at most `concurrency` of them in flight or buffered. */
function partsStream(
  parts: Array<[number, number]>,
  first: OpenedRange,
  abort: AbortController,
  options: RangedReadOptions,
): ReadableStream<Uint8Array> {
  const active: PartBuffer[] = [];
  const pumps: Promise<void>[] = [];
  let next = 0;
  const startPart = () => {
    const [from, to] = parts[next];
    const buffer = new PartBuffer();
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
  while (next < parts.length && active.length < options.concurrency) startPart();
  const stopAll = async () => {
    abort.abort();
    await Promise.allSettled(pumps);
  };
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      for (;;) {
        const current = active[0];
        if (current === undefined) return controller.close();
        const chunk = current.take();
        if (chunk !== undefined) return controller.enqueue(chunk);
        if (current.done) {
          if (current.error !== undefined) {
            await stopAll();
            throw options.fail(current.error);
          }
          active.shift();
          if (next < parts.length) startPart();
          continue;
        }
        await current.wait();
      }
    },
    cancel: stopAll,
  }, { highWaterMark: 0 });
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

/** Chunks of one part: the current one streams to the reader, later ones wait here. */
class PartBuffer {
  #chunks: Uint8Array[] = [];
  #wake?: () => void;
  done = false;
  error: unknown;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#signal();
  }

  finish(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.#signal();
  }

  /** The next bytes (small buffered chunks merged up to 1 MiB), or undefined when none. */
  take(): Uint8Array | undefined {
    const first = this.#chunks[0];
    if (first === undefined) return undefined;
    if (first.length >= COALESCE_MIN || this.#chunks.length === 1) return this.#chunks.shift();
    let n = 0;
    let size = 0;
    while (n < this.#chunks.length && size + this.#chunks[n].length <= COALESCE_MAX) {
      size += this.#chunks[n++].length;
    }
    if (n <= 1) return this.#chunks.shift();
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of this.#chunks.splice(0, n)) {
      out.set(c, at);
      at += c.length;
    }
    return out;
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

/** Chunks of an SDK body (a Node Readable, or a web stream) as plain Uint8Arrays. */
async function* bodyChunks(body: unknown, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (body === undefined || body === null) return;
  const onAbort = () => discardBody(body);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      if (typeof chunk === "string") yield new TextEncoder().encode(chunk);
      // Node Buffers become plain views, so `slice()` copies as callers expect.
      else yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
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

/** A stream that ends at once. */
export function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}
