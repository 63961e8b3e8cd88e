/**
 * Records rebuilt from the paragraphs of an existing Packages or Sources index: in full from the
 * parsed fields, or, for a canonical Packages paragraph, as the compact IndexedDebPackage read in
 * one pass over its text.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import type { Checksums, HashName } from "../../record/checksums.ts";
import {
  type Deb822Field,
  debKindOf,
  type DebPackage,
  type DebSource,
} from "../../record/deb_package.ts";
import { fieldValue, hasForbiddenChar, isFieldName, requiredField } from "../../record/deb822.ts";
import { fileListHash, parseFileLists } from "../../record/deb822_file_lists.ts";
import { fieldRank, PACKAGES_FIELD_ORDER } from "./field_order.ts";
import {
  HASH_BIT,
  IndexedDebPackage,
  PACKAGES_HASH_FIELDS,
  type ParagraphPlace,
} from "./paragraphs.ts";
import { ownString } from "../../util/own_string.ts";

/** Options naming the index a paragraph was read from, for errors. */
export interface FromParagraphOptions {
  /** Key of the index file. */
  key?: string;
}

function indexError(options: FromParagraphOptions, reason: string): MkrepoError {
  return new MkrepoError({ code: "malformed-index", key: options.key, reason });
}

/** Rebuilds a DebPackage from a paragraph of an existing Packages index (mtime 0: unknown). */
export function packageFromParagraph(
  fields: readonly Deb822Field[],
  options: FromParagraphOptions = {},
): DebPackage {
  const what = "a Packages paragraph";
  const key = requiredField(fields, "Filename", {
    key: options.key,
    code: "malformed-index",
    what: what,
  });
  const sizeText = requiredField(fields, "Size", {
    key: options.key,
    code: "malformed-index",
    what: what,
  });
  if (!/^[0-9]+$/.test(sizeText)) throw indexError(options, `${key}: invalid Size ${sizeText}`);
  const checksums: Checksums = { size: Number(sizeText) };
  const control: Deb822Field[] = [];
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    const hash = PACKAGES_HASH_FIELDS.find(([field]) => field.toLowerCase() === lower)?.[1];
    if (hash) {
      if (!/^[0-9a-f]+$/i.test(value)) throw indexError(options, `${key}: invalid ${name}`);
      checksums[hash] = value.toLowerCase();
    } else if (lower !== "filename" && lower !== "size") {
      control.push([name, value]);
    }
  }
  return {
    key,
    kind: debKindOf(key),
    control,
    name: requiredField(fields, "Package", {
      key: options.key,
      code: "malformed-index",
      what: key,
    }),
    version: requiredField(fields, "Version", {
      key: options.key,
      code: "malformed-index",
      what: key,
    }),
    architecture: requiredField(fields, "Architecture", {
      key: options.key,
      code: "malformed-index",
      what: key,
    }),
    checksums,
    mtime: 0,
  };
}

/** Rebuilds a DebSource from a paragraph of an existing Sources index (mtime 0: unknown). */
export function sourceFromParagraph(
  fields: readonly Deb822Field[],
  options: FromParagraphOptions = {},
): DebSource {
  const name = requiredField(fields, "Package", {
    key: options.key,
    code: "malformed-index",
    what: "a Sources paragraph",
  });
  const version = requiredField(fields, "Version", {
    key: options.key,
    code: "malformed-index",
    what: `source ${name}`,
  });
  const directory = (fieldValue(fields, "Directory") ?? "").replace(/\/+$/, "");
  const files = parseFileLists(fields, {
    key: options.key,
    code: "malformed-index",
    what: `source ${name}`,
  });
  const dsc = files.findIndex((file) => file.name.endsWith(".dsc"));
  if (dsc < 0) throw indexError(options, `source ${name} ${version} lists no .dsc file`);
  files.unshift(...files.splice(dsc, 1));
  const control: Deb822Field[] = [];
  for (const [field, value] of fields) {
    const lower = field.toLowerCase();
    if (lower === "package") control.push(["Source", value]);
    else if (lower !== "directory" && !fileListHash(field)) control.push([field, value]);
  }
  return {
    key: directory === "" || directory === "." ? files[0].name : `${directory}/${files[0].name}`,
    control,
    name,
    version,
    files,
    mtime: 0,
  };
}

const HASH_FIELD_BIT = new Map<string, HashName>(PACKAGES_HASH_FIELDS.map(([f, h]) => [f, h]));
const HEX = /^[0-9a-f]+$/;
const SIZE = /^[0-9]+$/;

/**
 * The record of one paragraph of a published Packages index (FileTime included) when the
 * paragraph is canonical — fields in apt-ftparchive's order and spelling, one space after each
 * colon, no trailing blanks, lower-case digests, no Status or Optional, FileTime last — so that
 * writing the record again gives the same text; undefined otherwise (the caller then parses it
 * in full, which also reports what is malformed). One pass over the text, no field array.
 * Given where the text was read (`at`), the record is held by place: its strings are copied out
 * and neither the text nor the digests are kept.
 */
export function indexedPackage(
  text: string,
  at?: Omit<ParagraphPlace, "body">,
): IndexedDebPackage | undefined {
  if (hasForbiddenChar(text)) return undefined;
  const n = text.length;
  let pos = 0;
  let lastRank = -1;
  let unknown: string[] | undefined;
  let key = "", sizeText = "", name = "", version = "", architecture = "";
  let mask = 0;
  let bodyEnd = n;
  let mtime = -1;
  const checksums: Checksums = { size: 0 };
  while (pos < n) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = n;
    const colon = text.indexOf(":", pos);
    if (colon <= pos || colon >= eol) return undefined;
    const field = text.slice(pos, colon);
    if (!isFieldName(field)) return undefined;
    let valueStart = colon + 1;
    if (valueStart < eol) {
      if (text.charCodeAt(valueStart) !== 32) return undefined;
      valueStart++;
      const c = text.charCodeAt(valueStart);
      if (valueStart >= eol || c === 32 || c === 9) return undefined;
    }
    let end = eol;
    while (end < n) {
      const c = text.charCodeAt(end + 1);
      if (c !== 32 && c !== 9) break;
      let next = text.indexOf("\n", end + 1);
      if (next < 0) next = n;
      let blank = true;
      for (let i = end + 1; i < next && blank; i++) {
        const d = text.charCodeAt(i);
        blank = d === 32 || d === 9;
      }
      if (blank) return undefined;
      end = next;
    }
    const last = text.charCodeAt(end - 1);
    if (last === 32 || last === 9) return undefined;
    const single = end === eol;
    const value = text.slice(valueStart, end);
    const lower = field.toLowerCase();
    if (lower === "filetime") {
      if (end + 1 < n || !single) return undefined;
      bodyEnd = pos;
      const seconds = Number(value);
      mtime = Number.isFinite(seconds) ? seconds * 1000 : -1;
      break;
    }
    if (lower === "status" || lower === "optional") return undefined;
    const rank = fieldRank(PACKAGES_FIELD_ORDER, field);
    if (rank !== undefined) {
      if (unknown || rank <= lastRank || PACKAGES_FIELD_ORDER[rank] !== field) return undefined;
      lastRank = rank;
      const hash = HASH_FIELD_BIT.get(field);
      if (hash) {
        if (!single || !HEX.test(value)) return undefined;
        checksums[hash] = value;
        mask |= HASH_BIT[hash];
      } else if (field === "Filename") key = single ? value : "";
      else if (field === "Size") sizeText = single ? value : "";
      else if (field === "Package") name = single ? value : "";
      else if (field === "Version") version = single ? value : "";
      else if (field === "Architecture") architecture = single ? value : "";
    } else {
      unknown ??= [];
      if (unknown.includes(lower)) return undefined;
      unknown.push(lower);
    }
    pos = end + 1;
  }
  if (!key || !name || !version || !architecture) return undefined;
  if (!SIZE.test(sizeText) || String(Number(sizeText)) !== sizeText) return undefined;
  checksums.size = Number(sizeText);
  if (at) {
    return new IndexedDebPackage({
      key: ownString(key),
      name: ownString(name),
      version: ownString(version),
      architecture: ownString(architecture),
      checksums: { size: checksums.size },
      mtime,
      place: { ...at, body: bodyEnd },
      hashMask: mask,
    });
  }
  // The body ends with the newline of its last field.
  const paragraph = bodyEnd < n
    ? text.slice(0, bodyEnd)
    : text.charCodeAt(n - 1) === 10
    ? text
    : `${text}\n`;
  return new IndexedDebPackage({
    key,
    name,
    version,
    architecture,
    checksums,
    mtime,
    paragraph,
    hashMask: mask,
  });
}
