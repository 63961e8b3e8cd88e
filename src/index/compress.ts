/**
 * Encoders for index files: one pass over the index text produces the open form's stats and
 * every requested compressed form with its stats. Output is deterministic (no embedded times),
 * so by-hash names change only when content does.
 * xz goes through the native @napi-rs/lzma addon, loaded lazily; if it cannot load (a platform
 * without a prebuilt addon), xz output is skipped with a warning and gzip still works.
 * @module
 */
import { concatBytes } from "../util/bytes.ts";
import { GrowingBytes } from "../util/growing_bytes.ts";
import { lzma2DictSize, type XzBlock, xzStream } from "./xz_container.ts";
import { crc32, createGzip, createZstdCompress } from "node:zlib";
import type { Transform } from "node:stream";
import { hashBytes, MultiHasher } from "../util/multi_hasher.ts";
import type { Checksums, HashName } from "../record/checksums.ts";
import type { Compression } from "../util/compression.ts";

/** One encoded form. */
export interface Encoded {
  data: Uint8Array;
  checksums: Checksums;
}

/** Result of encoding: open stats plus one entry per produced compression. */
export interface EncodeResult {
  open: Checksums;
  outputs: Map<Compression, Encoded>;
}

/**
 * gzip level of index files. Deno's node:zlib is zlib-ng, whose level 9 gives larger output than
 * its lower levels and costs the most time (on the calling thread, here the main one): Debian
 * bookworm's 50 MB Packages takes 12.08 MB in 1.06 s at 9 against 11.55 MB in 0.65 s at 6; a
 * 4,000-package primary.xml 271 against 245 KB. Level 6 (zlib's default) is never larger than 9
 * on any index measured, and 30–50 % faster (docs/decisions.md).
 */
export const GZIP_LEVEL = 6;

type Lzma2Options = { preset: number; dictSize: number };
type XzModule = {
  Lzma2Compressor: new (options: Lzma2Options) => {
    update(chunk: Uint8Array): Uint8Array;
    finish(): Promise<Uint8Array>;
  };
  lzma2: {
    compressStream(input: ReadableStream<Uint8Array>, options: Lzma2Options): ReadableStream<
      Uint8Array
    >;
  };
};

/**
 * Open size above which xz uses a fast preset. xz -6 (the default, as `xz` and the Debian
 * archive tools use) runs at about 1 MB/s on a busy core and needs ~90 MiB; a Packages index of
 * 50,000 entries (22 MB) took 10–45 s to encode, every run that changed one entry. Preset 1
 * encodes it 6–12× faster in ~10 MiB, for an output about 30 % larger (3.6 instead of 2.7 MB
 * there); indexes up to this size, i.e. almost every repository, keep preset 6. Past this size
 * the text is xz-encoded piece by piece as it comes, never held for xz.
 */
export const XZ_FAST_ABOVE = 8 * 1024 * 1024;
/** The preset used above XZ_FAST_ABOVE. */
export const XZ_FAST_PRESET = 1;

/**
 * Open size above which xz at preset 6 compresses the two halves of the text at once (the
 * addon compresses each on its own thread), as two blocks of one stream, as `xz --threads` does.
 * A 4.4 MB Packages index (10,000 entries) takes 0.72 instead of 1.38 s on two cores, for
 * 0.25 % more bytes. Always two halves, whatever the machine, so the output depends on the
 * text alone.
 */
export const XZ_SPLIT_ABOVE = 1024 * 1024;

/**
 * The largest dictionary an xz block is given, at either preset (preset 6's own is 8 MiB). The
 * encoder's memory follows the dictionary, ~15 MiB at 1 MiB: the two halves of an 8 MB text
 * took ~95 MiB at 4 MiB each. On Debian bookworm's real Packages, 4.4 MB compresses 2 % larger
 * (873 against 855 KB) and 25 % faster than with 4 MiB, 2.2 MB 0.6 % larger than with 2 MiB;
 * synthetic indexes of 10,000 entries do not change (docs/decisions.md).
 */
export const XZ_MAX_DICT_SIZE = 1024 * 1024;

/** Options of encodeIndex(). */
export interface EncodeOptions {
  /** Open size above which xz uses XZ_FAST_PRESET (default XZ_FAST_ABOVE). */
  xzFastAbove?: number;
  /** Open size above which preset 6 compresses two halves at once (default XZ_SPLIT_ABOVE). */
  xzSplitAbove?: number;
}

/**
 * One xz block encoded as its text comes: the addon's update() compresses on the calling thread
 * and hands out what it has, so only the compressed pieces are held, never the text.
 */
class XzBlockEncoder {
  readonly #encoder: InstanceType<XzModule["Lzma2Compressor"]>;
  readonly #dictSize: number;
  readonly #lzma2: Uint8Array[] = [];
  #size = 0;
  #crc32 = 0;

  constructor(xz: XzModule, preset: number, dictSize: number) {
    this.#encoder = new xz.Lzma2Compressor({ preset, dictSize });
    this.#dictSize = dictSize;
  }

  update(text: Uint8Array): void {
    this.#crc32 = crc32(text, this.#crc32);
    this.#size += text.length;
    const out = this.#encoder.update(text);
    if (out.length > 0) this.#lzma2.push(out);
  }

  /** Ends the block (the encoder's last work runs off the JS thread). */
  async finish(): Promise<XzBlock> {
    this.#lzma2.push(await this.#encoder.finish());
    return { lzma2: this.#lzma2, size: this.#size, crc32: this.#crc32, dictSize: this.#dictSize };
  }
}

/** Bytes of held text handed to XzBlockEncoder.update() at a time. */
const XZ_PIECE = 64 * 1024;

/**
 * xz at preset 6 of a text up to XZ_FAST_ABOVE: two halves at once, or one block.
 *
 * - Each half is compressed off the JS thread by the addon's stream encoder, given its (held)
 *   text at once; XzBlockEncoder's update() would run the halves one after the other on the
 *   calling thread (a 4.4 MB index: 1.14 s of main thread against 0.60 s on two others).
 * - One block is fed to XzBlockEncoder in XZ_PIECE pieces, on the calling thread: the index
 *   encodes run one at a time, so the thread had nothing else to do meanwhile, and the stream
 *   encoder's copies of its input and output are not made (1,000 real-size debs, a 933 KB
 *   Packages: 79–82 against 84–86 MiB private at the peak, the same bytes and time).
 */
function xzPreset6(xz: XzModule, data: Uint8Array, options: EncodeOptions): Promise<Uint8Array> {
  // A dictionary no larger than the text: the encoder's memory follows it.
  const dictSize = (text: Uint8Array) => lzma2DictSize(text.length, XZ_MAX_DICT_SIZE);
  if (data.length === 0) return Promise.resolve(xzStream([])); // no block, as `xz` writes it
  if (data.length <= (options.xzSplitAbove ?? XZ_SPLIT_ABOVE)) {
    const block = new XzBlockEncoder(xz, 6, dictSize(data));
    for (let at = 0; at < data.length; at += XZ_PIECE) {
      block.update(data.subarray(at, at + XZ_PIECE));
    }
    return block.finish().then((b) => xzStream([b]));
  }
  const half = data.length >> 1;
  return Promise.all([data.subarray(0, half), data.subarray(half)].map(async (text) => {
    const input = ReadableStream.from([text]);
    const lzma = { preset: 6, dictSize: dictSize(text) };
    const lzma2 = await Array.fromAsync(xz.lzma2.compressStream(input, lzma));
    return { lzma2, size: text.length, crc32: crc32(text), dictSize: lzma.dictSize };
  })).then(xzStream);
}

let xzModule: Promise<XzModule | undefined> | undefined;

function loadXz(): Promise<XzModule | undefined> {
  xzModule ??= import("@napi-rs/lzma").then(
    (m) => m as unknown as XzModule,
    () => undefined,
  );
  return xzModule;
}

/** Why xz output cannot be produced here, in a few words; undefined when it can. */
export async function xzUnavailable(): Promise<string | undefined> {
  if (await loadXz()) return undefined;
  const ffi = await Deno.permissions.query({ name: "ffi" }).catch(() => undefined);
  return ffi?.state === "granted"
    ? "the native xz encoder (@napi-rs/lzma) does not load on this platform"
    : "Deno runs without --allow-ffi, which the native xz encoder needs";
}

function zlibCollector(
  stream: Transform,
): { write(c: Uint8Array): Promise<void>; end(): Promise<Uint8Array> } {
  const chunks: Uint8Array[] = [];
  stream.on("data", (c: Uint8Array) => chunks.push(c));
  // One listener of each kind for the stream's life (not one per write).
  let failure: unknown;
  let waiting: { resolve(): void; reject(e: unknown): void } | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", (err) => {
      failure = err;
      waiting?.reject(err);
      reject(err);
    });
  });
  ended.catch(() => {}); // reported by write() or end()
  stream.on("drain", () => waiting?.resolve());
  return {
    write: (c) => {
      if (failure !== undefined) return Promise.reject(failure);
      if (stream.write(c)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting = {
          resolve: () => (waiting = undefined, resolve()),
          reject: (e) => (waiting = undefined, reject(e)),
        };
      });
    },
    end: async () => {
      stream.end();
      await ended;
      return concatBytes(chunks);
    },
  };
}

/**
 * Encodes index text given as chunks into each requested form, hashing open and stored bytes
 * in the same pass. `xz` is dropped from the result when the encoder is unavailable.
 */
export async function encodeIndex(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  formats: readonly Compression[],
  hashes: readonly HashName[],
  options: EncodeOptions = {},
): Promise<EncodeResult> {
  const encoder = new TextEncoder();
  const openHasher = new MultiHasher(hashes);
  const xz = formats.includes("xz") ? await loadXz() : undefined;
  const fastAbove = options.xzFastAbove ?? XZ_FAST_ABOVE;
  let fastXz: XzBlockEncoder | undefined;
  const keepOpen = formats.includes("none");
  let openBytes = keepOpen || xz ? new GrowingBytes() : undefined;
  const streams = new Map<Compression, ReturnType<typeof zlibCollector>>();
  if (formats.includes("gzip")) {
    streams.set("gzip", zlibCollector(createGzip({ level: GZIP_LEVEL })));
  }
  if (formats.includes("zstd")) streams.set("zstd", zlibCollector(createZstdCompress()));

  for await (const chunk of chunks) {
    const bytes = typeof chunk === "string"
      ? openBytes?.appendText(chunk) ?? encoder.encode(chunk)
      : openBytes?.append(chunk) ?? chunk;
    if (bytes.length === 0) continue;
    openHasher.update(bytes);
    if (fastXz) fastXz.update(bytes);
    else if (xz && openBytes && openBytes.length > fastAbove) {
      // Too large for preset 6: from here on the text is xz-encoded as it comes.
      fastXz = new XzBlockEncoder(xz, XZ_FAST_PRESET, XZ_MAX_DICT_SIZE);
      fastXz.update(openBytes.bytes());
      if (!keepOpen) openBytes = undefined;
    }
    for (const s of streams.values()) await s.write(bytes);
  }

  const open = openHasher.digest();
  const outputs = new Map<Compression, Encoded>();
  const openData = openBytes?.finish() ?? new Uint8Array(0);
  for (const format of formats) {
    let data: Uint8Array | undefined;
    if (format === "none") data = openData;
    else if (format === "xz") {
      if (fastXz) data = xzStream([await fastXz.finish()]);
      else if (xz) data = await xzPreset6(xz, openData, options);
    } else data = await streams.get(format)!.end();
    if (data) {
      outputs.set(format, { data, checksums: format === "none" ? open : hashBytes(data, hashes) });
    }
  }
  return { open, outputs };
}
