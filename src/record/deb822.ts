/**
 * deb822 paragraphs (control files, Packages, Sources): parse, validate, format, and split a
 * stream of paragraphs without holding it whole.
 *
 * Value representation (same as apt's `FindRaw`): the text after `Name:` with the whitespace
 * around the first line and at the very end removed; continuation lines are appended after a
 * "\n" verbatim, leading space/tab included. So `Description: short\n long\n .\n more` has the
 * value "short\n long\n .\n more", and a folded field with an empty first line (`Files:`) has a
 * value starting with "\n". `formatParagraph` writes `Name: value`, or `Name:value` when the value
 * is empty or starts with "\n", which gives back the parsed text exactly.
 *
 * Validation refuses anything that could inject a field or a paragraph into an index: blank or
 * whitespace-only lines inside a paragraph (an empty line in a value must be written " ."),
 * continuation lines without leading whitespace, invalid field names, duplicate fields, and
 * control characters (CR, NUL, ...) in values.
 * @module
 */
import { type ErrorCode, MkrepoError } from "../errors.ts";
import type { Checksums, HashName } from "./checksums.ts";
import type { Deb822Field } from "./deb_package.ts";

export type { Deb822Field };

/** Where a paragraph comes from, for error messages. */
export interface Deb822Options {
  /** Object key named in errors. */
  key?: string;
  /** Error code; "malformed-package" unless told otherwise. */
  code?: ErrorCode;
  /** What the paragraph is ("control file", "Packages index"), for messages. */
  what?: string;
}

/** Options of readParagraphs. */
export interface ReadParagraphsOptions extends Deb822Options {
  /** Largest paragraph accepted, in UTF-16 code units (default 16 MiB). */
  maxParagraph?: number;
}

const FIELD_NAME = /^[!-9;-~]+$/;
// C0 controls except TAB and LF, and DEL.
// deno-lint-ignore no-control-regex
const BAD_CHAR = /[\x00-\x08\x0b-\x1f\x7f]/;
const BLANK_LINE = /^[ \t]*$/;
// A control character, or a line break not followed by whitespace and then some text.
// deno-lint-ignore no-control-regex
const UNSAFE_VALUE = /[\x00-\x08\x0b-\x1f\x7f]|\n(?![ \t]+[^ \t\n])/;

/** Removes trailing spaces and tabs (a loop: a regex would be quadratic on hostile input). */
function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return end === s.length ? s : s.slice(0, end);
}

function fail(options: Deb822Options, reason: string): MkrepoError {
  const what = options.what ?? "control paragraph";
  return new MkrepoError({
    code: options.code ?? "malformed-package",
    key: options.key,
    reason: `${what}: ${reason}`,
  });
}

function describeChar(s: string): string {
  const c = s.match(BAD_CHAR)![0];
  if (c === "\r") return "a carriage return (CR)";
  if (c === "\0") return "a NUL byte";
  return `control character U+${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`;
}

/** Throws unless `name` is a valid deb822 field name. */
export function validateFieldName(name: string, options: Deb822Options = {}): void {
  if (!isFieldName(name)) throw fail(options, `invalid field name ${JSON.stringify(name)}`);
}

/** Whether `name` is a valid deb822 field name. */
export function isFieldName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!FIELD_NAME.test(name) || name[0] === "#" || name[0] === "-") return false;
  if (validNames.size < 4096) validNames.add(name);
  return true;
}

/** Whether `text` holds a character no deb822 paragraph may hold (C0 controls but TAB and LF, DEL). */
export function hasForbiddenChar(text: string): boolean {
  return BAD_CHAR.test(text);
}

// Field names repeat a lot in an index: remember the valid ones already seen.
const validNames = new Set<string>();

/** Throws unless the field can be written without changing the paragraph's structure. */
export function validateField(name: string, value: string, options: Deb822Options = {}): void {
  validateFieldName(name, options);
  const c = value.charCodeAt(0);
  // Fast path: no control character, and every "\n" starts a line of whitespace + text.
  if (c !== 32 && c !== 9 && !UNSAFE_VALUE.test(value)) return;
  if (BAD_CHAR.test(value)) {
    throw fail(options, `field ${name} contains ${describeChar(value)}`);
  }
  const lines = value.split("\n");
  if (lines[0] !== "" && (lines[0][0] === " " || lines[0][0] === "\t")) {
    throw fail(options, `field ${name} starts with whitespace`);
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (BLANK_LINE.test(line)) {
      throw fail(
        options,
        `field ${name} has an empty line ${i + 1} (write an empty line of a value as " .")`,
      );
    }
    if (line[0] !== " " && line[0] !== "\t") {
      throw fail(options, `field ${name} has line ${i + 1} not starting with a space`);
    }
  }
}

/**
 * Parses one paragraph. Blank lines before and after it are allowed; a blank line inside it
 * (which would start a second paragraph) is an error.
 */
export function parseParagraph(text: string, options: Deb822Options = {}): Deb822Field[] {
  if (BAD_CHAR.test(text)) throw fail(options, `contains ${describeChar(text)}`);
  const lines = text.split("\n");
  let first = 0;
  let last = lines.length - 1;
  while (first <= last && BLANK_LINE.test(lines[first])) first++;
  while (last >= first && BLANK_LINE.test(lines[last])) last--;
  const fields: Deb822Field[] = [];
  const seen = new Set<string>();
  let name = "";
  let value = "";
  const flush = () => {
    if (name === "") return;
    fields.push([name, trimEnd(value)]);
  };
  for (let i = first; i <= last; i++) {
    const line = lines[i];
    const c = line[0];
    if (c === " " || c === "\t") {
      if (name === "") throw fail(options, `line ${i + 1} continues no field`);
      if (BLANK_LINE.test(line)) {
        throw fail(
          options,
          `line ${
            i + 1
          } of field ${name} is whitespace only (an empty line of a value is written " .")`,
        );
      }
      value += "\n" + line;
      continue;
    }
    if (line === "") {
      throw fail(options, `empty line ${i + 1} inside the paragraph (a second paragraph?)`);
    }
    flush();
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw fail(
        options,
        `line ${i + 1} is not "Field: value": ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    name = line.slice(0, colon);
    validateFieldName(name, options);
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw fail(options, `duplicate field ${name}`);
    seen.add(lower);
    value = line.slice(colon + 1).replace(/^[ \t]+/, "");
  }
  flush();
  if (fields.length === 0) throw fail(options, "empty paragraph");
  return fields;
}

/** Formats fields as one paragraph ending with "\n" (no blank line after it); validates each. */
export function formatParagraph(
  fields: readonly Deb822Field[],
  options: Deb822Options = {},
): string {
  const seen = new Set<string>();
  let out = "";
  for (const [name, value] of fields) {
    validateField(name, value, options);
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw fail(options, `duplicate field ${name}`);
    seen.add(lower);
    out += value === "" || value[0] === "\n" ? `${name}:${value}\n` : `${name}: ${value}\n`;
  }
  return out;
}

/** The value of a field, matched case-insensitively, or undefined. */
export function fieldValue(fields: readonly Deb822Field[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of fields) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * The value of a field that must be there and not be empty; else throws "<what> has no <name>
 * field" (code "malformed-package" unless told otherwise).
 */
export function requiredField(
  fields: readonly Deb822Field[],
  name: string,
  options: { what: string; key?: string; code?: ErrorCode },
): string {
  const value = fieldValue(fields, name);
  if (value) return value;
  throw new MkrepoError({
    code: options.code ?? "malformed-package",
    key: options.key,
    reason: `${options.what} has no ${name} field`,
  });
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

/** As readParagraphTexts, one array of paragraph texts per decoded chunk of the stream. */
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
  try {
    while (!finished) {
      const { done, value } = await reader.read();
      let text: string;
      try {
        text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      } catch (cause) {
        throw new MkrepoError({
          code: opts.code!,
          key: opts.key,
          reason: `${opts.what}: not valid UTF-8`,
          cause,
        });
      }
      finished = done;
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

/** File-list fields of .dsc files and Sources indexes, and the digest each one carries. */
export const FILE_LIST_FIELDS: readonly (readonly [name: string, hash: HashName])[] = [
  ["Files", "md5"],
  ["Checksums-Sha1", "sha1"],
  ["Checksums-Sha256", "sha256"],
  ["Checksums-Sha512", "sha512"],
];

const HEX_LENGTH: Record<HashName, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };
const LIST_LINE = /^([0-9a-fA-F]+)[ \t]+([0-9]+)[ \t]+(\S+)$/;

/** The digest a file-list field carries (Files, Checksums-Md5/Sha1/Sha256/Sha512), if it is one. */
export function fileListHash(name: string): HashName | undefined {
  const lower = name.toLowerCase();
  if (lower === "files" || lower === "checksums-md5") return "md5";
  for (const [field, hash] of FILE_LIST_FIELDS) if (field.toLowerCase() === lower) return hash;
  return undefined;
}

/**
 * Collects the file lists of a paragraph (" <hash> <size> <name>" lines) into one entry per file
 * name, in order of first appearance, checking digests and that sizes agree. File names holding
 * a "/" or equal to "." or ".." are refused (they would escape the package's directory).
 */
export function parseFileLists(
  fields: readonly Deb822Field[],
  options: Deb822Options = {},
): { name: string; checksums: Checksums }[] {
  const files = new Map<string, { name: string; checksums: Checksums }>();
  for (const [field, value] of fields) {
    const hash = fileListHash(field);
    if (!hash) continue;
    for (const raw of value.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      const m = line.match(LIST_LINE);
      if (!m || m[1].length !== HEX_LENGTH[hash]) {
        throw fail(options, `${field} has an invalid line ${JSON.stringify(line.slice(0, 200))}`);
      }
      const [, digest, sizeText, name] = m;
      if (name.includes("/") || name === "." || name === "..") {
        throw fail(options, `${field} names a file outside its directory: ${JSON.stringify(name)}`);
      }
      const size = Number(sizeText);
      let entry = files.get(name);
      if (!entry) {
        entry = { name, checksums: { size } };
        files.set(name, entry);
      } else if (entry.checksums.size !== size) {
        throw fail(
          options,
          `${field} gives ${name} a size of ${size}, another list ${entry.checksums.size}`,
        );
      }
      const known = entry.checksums[hash];
      if (known !== undefined && known !== digest.toLowerCase()) {
        throw fail(options, `${name} has two different ${hash} digests`);
      }
      entry.checksums[hash] = digest.toLowerCase();
    }
  }
  return [...files.values()];
}

/** The value of a file-list field for `hash` (each line " <hash> <size> <name>"), or undefined
 * if a file lacks that digest. */
export function formatFileList(
  files: readonly { name: string; checksums: Checksums }[],
  hash: HashName,
): string | undefined {
  let out = "";
  for (const file of files) {
    const digest = file.checksums[hash];
    if (digest === undefined) return undefined;
    out += `\n ${digest} ${file.checksums.size} ${file.name}`;
  }
  return out;
}
