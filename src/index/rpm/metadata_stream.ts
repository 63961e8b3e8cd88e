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
  /** Largest `<package>` element accepted, in characters (default 64 Mi). */
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

/**
 * Splits the (decompressed) text of a metadata file into `<package>` fragments as it streams.
 * Fails when the root element is not the expected one or the document ends early.
 */
export async function* splitPackages(
  bytes: ReadableStream<Uint8Array>,
  kind: MetadataKind,
  options: ReadMetadataOptions,
): AsyncGenerator<string> {
  const root = ROOTS[kind];
  const max = options.maxFragment ?? DEFAULT_MAX_FRAGMENT;
  const START = /<package[\s>]/g;
  const END = "</package>";
  let buf = "";
  let inPackage = false;
  let rootSeen = false;
  let from = 0;
  const decoder = new TextDecoder();
  const reader = bytes.getReader();
  const checkRoot = (prefix: string) => {
    if (!new RegExp(`<${root}[\\s>]`).test(prefix)) {
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
      buf += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      while (true) {
        if (!inPackage) {
          START.lastIndex = from;
          const m = START.exec(buf);
          if (!m) {
            from = Math.max(0, buf.length - 9);
            if (buf.length > max) {
              throw metadataError(options, `no <package> element in ${max} characters`);
            }
            break;
          }
          if (!rootSeen) checkRoot(buf.slice(0, m.index));
          buf = buf.slice(m.index);
          inPackage = true;
          from = 0;
        }
        const end = buf.indexOf(END, from);
        if (end < 0) {
          from = Math.max(0, buf.length - END.length + 1);
          if (buf.length > max) {
            throw metadataError(options, `a <package> element is larger than ${max} characters`);
          }
          break;
        }
        if (end + END.length > max) {
          throw metadataError(options, `a <package> element is larger than ${max} characters`);
        }
        const fragment = buf.slice(0, end + END.length);
        buf = buf.slice(end + END.length);
        inPackage = false;
        from = 0;
        yield fragment;
      }
      if (chunk.done) break;
    }
    if (inPackage) throw metadataError(options, "the file ends inside a <package> element");
    if (!rootSeen) checkRoot(buf);
    if (!new RegExp(`</${root}\\s*>|<${root}[^>]*/>`).test(buf)) {
      throw metadataError(options, `the file ends before </${root}>`);
    }
  } finally {
    reader.releaseLock();
  }
}
