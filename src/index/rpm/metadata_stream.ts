/**
 * Opening a repodata file (primary, filelists, other) as a stream of `<package>` fragments: the
 * compression is detected from the first bytes and undone by util/decompress.ts (gzip, zstd,
 * capped at `maxOutput`; xz and bzip2 through the caller's decompressor), and the text is split
 * at `<package …>` … `</package>` boundaries as it streams in (memory per package bounded by
 * `maxFragment`); the whole document is never held at once.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import { decompress } from "../../util/decompress.ts";

/** Compression of a metadata file, detected from its first bytes. */
export type MetadataFormat = "plain" | "gzip" | "zstd" | "xz" | "bzip2";

/** Options of the repodata readers. */
export interface ReadMetadataOptions {
  /** Key of the file, for error messages. */
  key: string;
  /** Decompressor for formats handled elsewhere (xz, bzip2); without it they are rejected. */
  decompress?: (
    stream: ReadableStream<Uint8Array>,
    format: "xz" | "bzip2",
  ) => ReadableStream<Uint8Array>;
  /** Largest `<package>` element accepted, in bytes (default 64 Mi). */
  maxFragment?: number;
  /** Largest decompressed size of a gzip or zstd file accepted, in bytes (default 8 GiB). */
  maxOutput?: number;
}

const DEFAULT_MAX_FRAGMENT = 64 * 1024 * 1024;
const DEFAULT_MAX_OUTPUT = 8 * 2 ** 30;

/** A malformed-index error naming the file. */
export function metadataError(
  options: ReadMetadataOptions,
  reason: string,
  cause?: unknown,
): MkrepoError {
  return new MkrepoError({ code: "malformed-index", key: options.key, reason, cause });
}

/** Detects the compression from the magic bytes and returns the decompressed byte stream. */
export async function openMetadataStream(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): Promise<{ format: MetadataFormat; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let have = 0;
  while (have < 6) {
    const { value, done } = await reader.read();
    if (done) break;
    head.push(value);
    have += value.length;
  }
  const first = new Uint8Array(have);
  head.reduce((at, c) => (first.set(c, at), at + c.length), 0);
  const replay = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length) controller.enqueue(first);
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const is = (...bytes: number[]) => bytes.every((b, i) => first[i] === b);
  let format: MetadataFormat = "plain";
  if (is(0x1f, 0x8b)) format = "gzip";
  else if (is(0x28, 0xb5, 0x2f, 0xfd)) format = "zstd";
  else if (is(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) format = "xz";
  else if (is(0x42, 0x5a, 0x68)) format = "bzip2";
  if (format === "plain") return { format, stream: replay };
  if (format === "gzip" || format === "zstd") {
    const name = options.key.slice(options.key.lastIndexOf("/") + 1);
    const maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
    return { format, stream: decompress(replay, format, { key: options.key, name, maxOutput }) };
  }
  if (!options.decompress) {
    await replay.cancel();
    throw new MkrepoError({
      code: "malformed-index",
      key: options.key,
      reason: `${format}-compressed repodata needs a decompressor`,
      hint: "pass options.decompress, or regenerate the repodata with gzip",
    });
  }
  return { format, stream: options.decompress(replay, format) };
}

/** Root element of each metadata type. */
const ROOTS = { primary: "metadata", filelists: "filelists", other: "otherdata" } as const;
export type MetadataKind = keyof typeof ROOTS;

const START = new TextEncoder().encode("<package");
const END = new TextEncoder().encode("</package>");
const LT = 0x3c;

/** Index of `tag` in `buf` at or after `from` (-1: none); with `open`, followed by space or ">". */
function findTag(buf: Uint8Array, tag: Uint8Array, from: number, open: boolean): number {
  const last = buf.length - tag.length - (open ? 1 : 0);
  for (let at = buf.indexOf(LT, from); at >= 0 && at <= last; at = buf.indexOf(LT, at + 1)) {
    let k = 1;
    while (k < tag.length && buf[at + k] === tag[k]) k++;
    if (k < tag.length) continue;
    if (!open) return at;
    const next = buf[at + k];
    if (next === 0x3e || next === 0x20 || (next >= 0x09 && next <= 0x0d)) return at;
  }
  return -1;
}

/**
 * Splits the (decompressed) bytes of a metadata file into `<package>` fragments as they
 * stream: each fragment (from `<package` to `</package>` inclusive) is a view no later chunk
 * overwrites. Fails when the root element is not the expected one or the document ends early.
 */
export async function* splitPackages(
  bytes: ReadableStream<Uint8Array>,
  kind: MetadataKind,
  options: ReadMetadataOptions,
): AsyncGenerator<Uint8Array> {
  const root = ROOTS[kind];
  const max = options.maxFragment ?? DEFAULT_MAX_FRAGMENT;
  const decoder = new TextDecoder();
  // Unconsumed bytes are buf[at..]; appends go past them, growing geometrically, so fragments
  // handed out (views of consumed ranges) are never overwritten and copying stays linear.
  let store = new Uint8Array(0);
  let buf = store;
  let inPackage = false;
  let rootSeen = false;
  let from = 0;
  const reader = bytes.getReader();
  const append = (chunk: Uint8Array) => {
    const end = buf.byteOffset + buf.length;
    if (end + chunk.length > store.length) {
      const grown = new Uint8Array(Math.max(2 * (buf.length + chunk.length), 64 * 1024));
      grown.set(buf);
      store = grown;
      buf = store.subarray(0, buf.length);
    }
    store.set(chunk, buf.byteOffset + buf.length);
    buf = store.subarray(buf.byteOffset, buf.byteOffset + buf.length + chunk.length);
  };
  const checkRoot = (prefix: Uint8Array) => {
    if (!new RegExp(`<${root}[\\s>]`).test(decoder.decode(prefix))) {
      throw metadataError(
        options,
        `not a ${kind}.xml file (no <${root}> element before the first package)`,
      );
    }
    rootSeen = true;
  };
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        // util/decompress names the file in its reason; the key is named here already.
        const why = err instanceof MkrepoError
          ? err.reason
          : err instanceof Error
          ? err.message
          : String(err);
        throw metadataError(options, `cannot decompress: ${why}`, err);
      }
      if (!chunk.done) append(chunk.value);
      let at = 0; // start of what is not yet consumed, in buf
      while (true) {
        if (!inPackage) {
          const m = findTag(buf, START, Math.max(at, from), true);
          if (m < 0) {
            from = Math.max(at, buf.length - START.length);
            if (buf.length - at > max) {
              throw metadataError(options, `no <package> element in ${max} characters`);
            }
            break;
          }
          if (!rootSeen) checkRoot(buf.subarray(0, m));
          at = m;
          inPackage = true;
          from = m;
        }
        const end = findTag(buf, END, from, false);
        if (end < 0) {
          from = Math.max(at, buf.length - END.length + 1);
          if (buf.length - at > max) {
            throw metadataError(options, `a <package> element is larger than ${max} characters`);
          }
          break;
        }
        if (end + END.length - at > max) {
          throw metadataError(options, `a <package> element is larger than ${max} characters`);
        }
        const fragment = buf.subarray(at, end + END.length);
        at = end + END.length;
        inPackage = false;
        from = at;
        yield fragment;
      }
      buf = buf.subarray(at);
      from -= at;
      if (chunk.done) break;
    }
    if (inPackage) throw metadataError(options, "the file ends inside a <package> element");
    if (!rootSeen) checkRoot(buf);
    if (!new RegExp(`</${root}\\s*>|<${root}[^>]*/>`).test(decoder.decode(buf))) {
      throw metadataError(options, `the file ends before </${root}>`);
    }
  } finally {
    reader.releaseLock();
  }
}
