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
 * read straight into pooled 1 MiB buffers (s3_part.ts) that the stream — a byte stream — hands
 * over to its reader, who may transfer them to a hash worker.
 * @module
 */
import { byteStream } from "../util/byte_source.ts";
import { ReadBudget } from "./read_budget.ts";
import {
  type OpenedRange,
  openRange,
  PartBuffer,
  type PartFetchOptions,
  pumpPart,
} from "./s3_part.ts";

export type { FetchRange, RangeAnswer } from "./s3_part.ts";

/** Options of {@linkcode rangedRead}. */
export interface RangedReadOptions extends PartFetchOptions {
  /** Turns the failure of a part into the error the stream's reader sees. */
  fail: (err: unknown) => Error;
  /** Bytes per part. */
  partSize: number;
  /** Parts of this read in flight or buffered at once. */
  concurrency: number;
  /** Bytes shared with the other reads of the storage (default: no limit but `concurrency`). */
  budget?: ReadBudget;
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
  return byteStream({
    pull: async (controller) => {
      for (;;) {
        if (stopped) return; // cancelled while this pull waited
        const current = active[0];
        if (current === undefined) return controller.close();
        const chunk = current.take();
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
  });
}

/** A (byte) stream that ends at once. */
export function emptyStream(): ReadableStream<Uint8Array> {
  return byteStream({ start: (c) => c.close() });
}
