/**
 * deb822 paragraphs (control files, Packages, Sources): parse, validate and format one
 * paragraph. Splitting a stream of paragraphs is deb822_stream.ts; the file lists of .dsc files
 * and Sources indexes are deb822_file_lists.ts.
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

/** The error for a malformed paragraph: "<what>: <reason>", code from `options`. */
export function fail(options: Deb822Options, reason: string): MkrepoError {
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
  const lines: string[] = [];
  for (const [name, value] of fields) {
    validateField(name, value, options);
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw fail(options, `duplicate field ${name}`);
    seen.add(lower);
    lines.push(name, value === "" || value[0] === "\n" ? ":" : ": ", value, "\n");
  }
  // join() copies into one flat string: a paragraph built with += is a tree of pieces that
  // also keeps the whole control file alive (paragraphs are held for the whole run).
  return lines.join("");
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
