/**
 * The stream plumbing under decompress.ts: an input cut into small slices (so one write cannot
 * expand past a bound), and a node:zlib decoder bridged to a web stream pulled on demand.
 * @module
 */
import type { createGunzip } from "node:zlib";

/** `input` re-chunked into slices of at most `size` bytes, pulled one at a time. */
export function sliced(
  input: ReadableStream<Uint8Array>,
  size: number,
): ReadableStream<Uint8Array> {
  const reader = input.getReader();
  let rest: Uint8Array | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (!rest || rest.length === 0) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        rest = value;
      }
      controller.enqueue(rest.subarray(0, size));
      rest = rest.subarray(size);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * A node:zlib decoder (zstd, or gzip in low-memory mode) as a web stream, pulled on demand.
 * node:zlib decodes a whole written chunk before it looks at backpressure: the input is sliced
 * by the caller to bound what one write can expand to. (Deno's Duplex.toWeb adapter
 * enqueues into a closed controller when the readable side is cancelled mid-stream, an uncaught
 * TypeError: hence this small bridge.)
 */
export function nodeStream(
  input: ReadableStream<Uint8Array>,
  decoder: ReturnType<typeof createGunzip>,
): ReadableStream<Uint8Array> {
  const source = input.getReader();
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  decoder.on("readable", signal);
  decoder.on("end", () => {
    ended = true;
    signal();
  });
  decoder.on("error", (e: unknown) => {
    failure ??= e;
    signal();
  });
  let feeding: Promise<void> | undefined;
  const feed = async () => {
    try {
      while (failure === undefined) {
        const { done, value } = await source.read();
        if (done) {
          decoder.end();
          return;
        }
        if (!decoder.write(value)) {
          await new Promise<void>((resolve) => {
            decoder.once("drain", resolve);
            decoder.once("close", resolve);
          });
        }
      }
    } catch (e) {
      failure ??= e;
      signal();
    }
  };
  const stop = async (reason?: unknown) => {
    decoder.destroy();
    await source.cancel(reason).catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      feeding ??= feed();
      while (true) {
        if (failure !== undefined) {
          await stop(failure);
          throw failure;
        }
        const chunk: Uint8Array | null = decoder.read();
        if (chunk !== null) {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          return;
        }
        if (ended) {
          controller.close();
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    cancel: stop,
  }, { highWaterMark: 0 });
}
