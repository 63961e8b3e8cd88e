/**
 * Splits a UTF-8 stream of deb822 paragraphs (an existing Packages or Sources index) at its
 * blank lines without holding it whole, yielding each paragraph parsed or as text.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import type { Deb822Field } from "./deb_package.ts";
import { type Deb822Options, fail, parseParagraph } from "./deb822.ts";

/** Options of readParagraphs. */
export interface ReadParagraphsOptions extends Deb822Options {
  /** Largest paragraph accepted, in UTF-16 code units (default 16 MiB). */
  maxParagraph?: number;
  /** Called with each chunk of the stream once it is decoded (nothing refers to it then). */
  done?: (chunk: Uint8Array) => void;
}

/**
 * Splits a UTF-8 stream of paragraphs separated by empty lines (an existing Packages or Sources
 * index) and yields each one parsed, holding only one paragraph in memory at a time. Errors
 * use code "malformed-index" unless told otherwise. Stopping early cancels the stream.
 */
export async function* readParagraphs(
  stream: ReadableStream<Uint8Array>,
  options: ReadParagraphsOptions = {},
): AsyncGenerator<Deb822Field[]> {
  const opts = paragraphOptions(options);
  for await (const text of readParagraphTexts(stream, options)) yield parseParagraph(text, opts);
}

function paragraphOptions(options: ReadParagraphsOptions): Deb822Options {
  return {
    key: options.key,
    code: options.code ?? "malformed-index",
    what: options.what ?? "index",
  };
}

/**
 * As readParagraphs, but yields each paragraph's text unparsed (without the blank lines around
 * it), so that a caller can keep it as one string and parse fields on demand. Paragraphs are
 * yielded in batches (one per decoded chunk of the stream) to keep per-paragraph overhead low.
 */
export async function* readParagraphTexts(
  stream: ReadableStream<Uint8Array>,
  options: ReadParagraphsOptions = {},
): AsyncGenerator<string> {
  for await (const batch of readParagraphBatches(stream, options)) yield* batch;
}

/** Bytes decoded at a time: the strings stay below V8's large-object size (128 KiB). */
const DECODE_SLICE = 32 * 1024;

/** As readParagraphTexts, one array of paragraph texts per decoded slice of the stream. */
export async function* readParagraphBatches(
  stream: ReadableStream<Uint8Array>,
  options: ReadParagraphsOptions = {},
): AsyncGenerator<string[]> {
  const opts = paragraphOptions(options);
  const max = options.maxParagraph ?? 16 * 1024 * 1024;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const reader = stream.getReader();
  let pending = "";
  let finished = false;
  let chunk: Uint8Array | undefined; // read and not yet decoded
  let at = 0;
  try {
    while (!finished) {
      if (!chunk || at >= chunk.length) {
        if (chunk) options.done?.(chunk);
        const { done, value } = await reader.read();
        chunk = done ? undefined : value;
        at = 0;
        finished = done;
      }
      let text: string;
      try {
        // Decoded in slices: a longer string is allocated among V8's old objects at once, and
        // stays there as garbage until a full collection (an index read again to be written).
        text = chunk
          ? decoder.decode(chunk.subarray(at, at += DECODE_SLICE), { stream: true })
          : decoder.decode();
      } catch (cause) {
        throw new MkrepoError({
          code: opts.code!,
          key: opts.key,
          reason: `${opts.what}: not valid UTF-8`,
          cause,
        });
      }
      pending += text;
      const batch: string[] = [];
      let start = 0;
      while (true) {
        while (pending.charCodeAt(start) === 10) start++;
        const sep = pending.indexOf("\n\n", start);
        if (sep < 0) break;
        batch.push(pending.slice(start, sep));
        start = sep + 2;
      }
      pending = pending.slice(start);
      if (finished) {
        if (pending.length > 0) batch.push(pending);
      } else if (pending.length > max) {
        throw fail(opts, `a paragraph longer than ${max} characters`);
      }
      if (batch.length > 0) yield batch;
    }
  } finally {
    if (finished) reader.releaseLock();
    else await reader.cancel().catch(() => {});
  }
}
