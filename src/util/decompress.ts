/**
 * Decompressors for archive members and index files, chosen by file name suffix: gzip (web
 * DecompressionStream), xz (npm xz-decompress, WebAssembly), zstd (node:zlib), or none. Every
 * output is capped so that a small hostile input (a "zip bomb") cannot exhaust memory, and every
 * decoder error becomes a MkrepoError naming the object and the member.
 *
 * Pitfalls handled here:
 * - Deno's DecompressionStream turns one input chunk into one output chunk, however big (a 2 MB
 *   gzip bomb chunk gave a single 2 GB chunk): input is fed to it in 8 KiB slices.
 * - xz-decompress serialises its streams with a module-wide lock, taken when a stream starts and
 *   released only when it ends, fails or is cancelled: a stream must always be read to the end
 *   or cancelled. It throws a TypeError on empty input (checked before) and reports errors as
 *   numeric xz-embedded codes (translated here).
 * - node:zlib zstd under Deno ends silently on a truncated frame (no error, partial output): a
 *   truncated member is caught by the structure read after it (tar) and by the ar member size.
 * @module
 */
import { createGunzip, createZstdDecompress, gunzipSync, zstdDecompressSync } from "node:zlib";
import { MkrepoError } from "../errors.ts";
import { concatBytes } from "./bytes.ts";
import { nodeStream, sliced } from "./decoder_streams.ts";
import { type Compression, compressionSuffix } from "./compression.ts";

const SUFFIXES: Record<string, Compression> = Object.fromEntries(
  Object.entries(compressionSuffix).map(([c, suffix]) => [suffix, c as Compression]),
);

/** Options naming what is decompressed, for errors. */
export interface DecompressOptions {
  /** Object key named in errors. */
  key: string;
  /** Member or file name ("control.tar.xz") named in errors. */
  name: string;
  /** Largest decompressed size accepted, in bytes. */
  maxOutput: number;
  /**
   * Decoder settings for small members of untrusted packages (control.tar), so that each
   * stream's working memory stays under {@linkcode lowMemoryBound}: gzip fed in
   * LOW_MEMORY_GZIP_SLICE slices, a zstd window of at most 2^ZSTD_LOW_MEMORY_WINDOW_LOG.
   */
  lowMemory?: boolean;
}

/**
 * The compression of `name` given its uncompressed base name: "control.tar.xz" with base
 * "control.tar" is xz, "control.tar" itself is none. Throws for any other suffix.
 */
export function compressionOf(name: string, base: string, options: { key: string }): Compression {
  const suffix = name.startsWith(base) ? name.slice(base.length) : "?";
  const compression = Object.hasOwn(SUFFIXES, suffix) ? SUFFIXES[suffix] : undefined;
  if (compression === undefined) {
    throw new MkrepoError({
      code: "malformed-package",
      key: options.key,
      reason:
        `${name}: unknown compression (expected ${base}, ${base}.gz, ${base}.xz or ${base}.zst)`,
    });
  }
  return compression;
}

const GZIP_SLICE = 8 * 1024;
/** gzip input slice in low-memory mode: at most ~1 MiB of output per slice. */
const LOW_MEMORY_GZIP_SLICE = 256;
/** deflate's largest expansion, about 1032:1 (zlib's technical details, "Maximum compression"). */
const DEFLATE_MAX_RATIO = 1032;
/**
 * zstd window limit in low-memory mode (16 MiB): what zstd levels up to 19 use at most
 * (windowLog 23) with room to spare; a frame asking more fails with "Frame requires too much
 * memory for decoding" instead of allocating it (the library's default limit is 2^27).
 */
const ZSTD_LOW_MEMORY_WINDOW_LOG = 24;
/**
 * zstd input slice in low-memory mode. An RLE block turns 4 bytes into 128 KiB: 256 bytes of
 * input can give at most a few MiB.
 */
const LOW_MEMORY_ZSTD_SLICE = 64;
/** Smallest chunk a low-memory stream passes on (but the last). */
const LOW_MEMORY_MIN_CHUNK = 8 * 1024;
/** node:zlib output chunk in low-memory mode (default 16 KiB). */
const LOW_MEMORY_CHUNK = 4096;
/** zstd's constant ZSTD_d_windowLogMax (zstd.h), as node:zlib takes it. */
const ZSTD_D_WINDOW_LOG_MAX = 100;
/** Output chunks a decoder may hold at once (its own, the transform queue, the consumer's). */
const CHUNKS_IN_FLIGHT = 3;
/** Working memory assumed for an xz stream (dictionary and buffers; one xz stream at a time). */
const XZ_WORKING_SET = 8 * 1024 * 1024;

/**
 * Bytes one low-memory decoding stream may hold besides its input and what its consumer keeps:
 * what a memory budget reserves for it.
 */
export function lowMemoryBound(compression: Compression): number {
  switch (compression) {
    case "none":
      return 0;
    case "gzip":
      return CHUNKS_IN_FLIGHT * LOW_MEMORY_GZIP_SLICE * DEFLATE_MAX_RATIO;
    case "zstd":
      return 2 ** ZSTD_LOW_MEMORY_WINDOW_LOG + (LOW_MEMORY_ZSTD_SLICE / 4) * 128 * 1024;
    case "xz":
      return XZ_WORKING_SET;
  }
}

const XZ_ERRORS: Record<string, string> = {
  "2": "unsupported integrity check",
  "3": "out of memory",
  "4": "memory limit reached",
  "5": "not xz data, or data after the end of the xz stream",
  "6": "unsupported xz options",
  "7": "corrupt data",
  "8": "truncated data",
};

function explain(compression: Compression, cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (compression === "xz") {
    const code = message.match(/error code (\d+)/)?.[1];
    if (code && XZ_ERRORS[code]) return XZ_ERRORS[code];
  }
  return message.replace(/^Zstd decompress error: /, "");
}

/**
 * A small compressed member held whole, decompressed into one buffer when its output is at most
 * `atOnce` bytes: gzip and zstd at once on the calling thread (node:zlib, zstd with the
 * low-memory window limit), plain as it is, xz through its stream (there is no other decoder).
 * Undefined for a larger output (the decoder stops past the limit) and for gzip or zstd data
 * the decoder rejects: decompress() then streams the member, and names what is wrong.
 */
export async function decompressAtOnce(
  bytes: Uint8Array,
  compression: Compression,
  atOnce: number,
  options: DecompressOptions,
): Promise<Uint8Array | undefined> {
  const limit = Math.min(atOnce, options.maxOutput);
  try {
    switch (compression) {
      case "none":
        return bytes.length <= limit ? bytes : undefined;
      case "gzip":
        return gunzipSync(bytes, { maxOutputLength: limit });
      case "zstd":
        return zstdDecompressSync(bytes, {
          maxOutputLength: limit,
          params: { [ZSTD_D_WINDOW_LOG_MAX]: ZSTD_LOW_MEMORY_WINDOW_LOG },
        });
      case "xz":
        break;
    }
  } catch {
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of decompress(ReadableStream.from([bytes]), compression, options)) {
    total += chunk.length;
    // Leaving the loop cancels the stream, which releases xz-decompress's lock.
    if (total > limit) return undefined;
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

/** Decompresses a whole stream, capped at `options.maxOutput` bytes of output. */
export function decompress(
  input: ReadableStream<Uint8Array>,
  compression: Compression,
  options: DecompressOptions,
): ReadableStream<Uint8Array> {
  const { key, name, maxOutput } = options;
  let inner: ReadableStream<Uint8Array>;
  let checkedEmpty = compression !== "xz";
  switch (compression) {
    case "none":
      inner = input;
      break;
    case "gzip":
      // Deno's DecompressionStream returns its output in buffers V8 does not count: a bomb's
      // garbage chunks piled up to the whole output (a 250 MiB control.tar took 300 MiB) before
      // a collection. node:zlib's buffers are counted and collected as they go.
      if (options.lowMemory) {
        inner = nodeStream(
          sliced(input, LOW_MEMORY_GZIP_SLICE),
          createGunzip({ chunkSize: LOW_MEMORY_CHUNK }),
        );
        break;
      }
      inner = sliced(input, GZIP_SLICE).pipeThrough(
        new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
      );
      break;
    case "zstd":
      inner = options.lowMemory
        ? nodeStream(
          sliced(input, LOW_MEMORY_ZSTD_SLICE),
          createZstdDecompress({
            chunkSize: LOW_MEMORY_CHUNK,
            params: { [ZSTD_D_WINDOW_LOG_MAX]: ZSTD_LOW_MEMORY_WINDOW_LOG },
          }),
        )
        : nodeStream(input, createZstdDecompress());
      break;
    case "xz":
      inner = input; // wrapped lazily once we know the input is not empty
      break;
  }
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let total = 0;
  const error = (reason: string, cause?: unknown) =>
    new MkrepoError({ code: "malformed-package", key, reason: `${name}: ${reason}`, cause });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!checkedEmpty) {
          // xz-decompress throws a TypeError on an empty input: look at the first chunk first.
          checkedEmpty = true;
          const source = input.getReader();
          let first: Uint8Array | undefined;
          while (!first || first.length === 0) {
            const { done, value } = await source.read();
            if (done) throw error("empty compressed data");
            first = value;
          }
          let head: Uint8Array | undefined = first;
          const rejoined = new ReadableStream<Uint8Array>({
            async pull(c) {
              if (head) {
                c.enqueue(head);
                head = undefined;
                return;
              }
              const { done, value } = await source.read();
              if (done) c.close();
              else c.enqueue(value);
            },
            cancel(reason) {
              return source.cancel(reason);
            },
          });
          // Loaded on first use: most runs never decode xz (WebAssembly start-up costs).
          const { default: xz } = await import("xz-decompress");
          inner = new xz.XzReadableStream(rejoined);
        }
        reader ??= inner.getReader();
        // Low-memory decoders give small chunks; they are joined up to LOW_MEMORY_MIN_CHUNK
        // before they go on (modern-tar stalls on some patterns of chunks under a tar block).
        const parts: Uint8Array[] = [];
        let size = 0;
        let ended = false;
        do {
          const { done, value } = await reader.read();
          if (done) {
            ended = true;
            break;
          }
          total += value.length;
          if (total > maxOutput) {
            await reader.cancel().catch(() => {});
            throw error(`decompresses to more than ${maxOutput} bytes, the limit`);
          }
          parts.push(value);
          size += value.length;
        } while (options.lowMemory && size < LOW_MEMORY_MIN_CHUNK);
        if (parts.length > 0) {
          controller.enqueue(parts.length === 1 ? parts[0] : concatBytes(parts));
        }
        if (ended) controller.close();
      } catch (cause) {
        if (cause instanceof MkrepoError) throw cause;
        throw error(`corrupt ${compression} data (${explain(compression, cause)})`, cause);
      }
    },
    async cancel(reason) {
      if (reader) await reader.cancel(reason).catch(() => {});
      else await inner.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
