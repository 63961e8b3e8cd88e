/**
 * Packages and Sources paragraphs exactly as apt-ftparchive writes them, and back: records
 * rebuilt from the paragraphs of an existing index.
 *
 * As apt-ftparchive (ftparchive/writer.cc, without override files):
 * - Packages: the control fields, minus Status; an Optional field is merged into Suggests;
 *   Filename, Size, MD5sum, SHA1, SHA256, SHA512 are (re)written from the record.
 * - Sources: Source is renamed Package; Directory is added (unless the files are at the root);
 *   Files and Checksums-* list the .dsc first, then its files; Status and Priority are dropped
 *   (apt rewrites Priority from the override file and drops it when there is none).
 * Fields are ordered with field_order.ts. Paragraphs end with one "\n"; the index writer puts
 * the blank line between them.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import { type Checksums, DEFAULT_DEB_HASHES, type HashName } from "../../record/checksums.ts";
import {
  type Deb822Field,
  type DebKind,
  debKindOf,
  type DebPackage,
  type DebSource,
} from "../../record/deb_package.ts";
import {
  fieldValue,
  FILE_LIST_FIELDS,
  fileListHash,
  formatFileList,
  formatParagraph,
  hasForbiddenChar,
  isFieldName,
  parseFileLists,
  parseParagraph,
  requiredField,
} from "../../record/deb822.ts";
import {
  fieldRank,
  orderFields,
  PACKAGES_FIELD_ORDER,
  SOURCES_FIELD_ORDER,
} from "./field_order.ts";

/** Digest fields of a Packages paragraph. */
export const PACKAGES_HASH_FIELDS: readonly (readonly [name: string, hash: HashName])[] = [
  ["MD5sum", "md5"],
  ["SHA1", "sha1"],
  ["SHA256", "sha256"],
  ["SHA512", "sha512"],
];

/** Options of packagesParagraph. */
export interface PackagesParagraphOptions {
  /** Digests to write (default md5 and sha256); each must be in the record's checksums. */
  hashes?: readonly HashName[];
}

/** Options of sourcesParagraph. */
export interface SourcesParagraphOptions {
  /** Directory of the source package's files relative to the repository root ("pool/main/h/hello"). */
  directory: string;
  /** Digests to list (default md5 and sha256); a list is written only if every file has it. */
  hashes?: readonly HashName[];
}

/** Options naming the index a paragraph was read from, for errors. */
export interface FromParagraphOptions {
  /** Key of the index file. */
  key?: string;
}

const PACKAGES_REWRITTEN = new Set(
  ["Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512", "Status", "Optional"].map((n) =>
    n.toLowerCase()
  ),
);

/** The Packages paragraph of a binary package (ends with "\n"). */
export function packagesParagraph(pkg: DebPackage, options: PackagesParagraphOptions = {}): string {
  const hashes = options.hashes ?? DEFAULT_DEB_HASHES;
  if (pkg instanceof IndexedDebPackage && pkg.hashMask === hashMask(hashes)) return pkg.paragraph;
  const fields: Deb822Field[] = [];
  const optional = fieldValue(pkg.control, "Optional");
  for (const [name, value] of pkg.control) {
    const lower = name.toLowerCase();
    if (lower === "suggests" && optional) fields.push([name, `${value}, ${optional}`]);
    else if (!PACKAGES_REWRITTEN.has(lower)) fields.push([name, value]);
  }
  if (optional && fieldValue(pkg.control, "Suggests") === undefined) {
    fields.push(["Suggests", optional]);
  }
  fields.push(["Filename", pkg.key], ["Size", String(pkg.checksums.size)]);
  for (const [name, hash] of PACKAGES_HASH_FIELDS) {
    if (!hashes.includes(hash)) continue;
    const digest = pkg.checksums[hash];
    if (digest === undefined) {
      throw new MkrepoError({
        code: "internal",
        key: pkg.key,
        action: "index package",
        reason: `no ${hash} digest was computed for it`,
      });
    }
    fields.push([name, digest]);
  }
  return formatParagraph(orderFields(fields, PACKAGES_FIELD_ORDER), {
    key: pkg.key,
    what: "control file",
  });
}

/** The Sources paragraph of a source package (ends with "\n"). */
export function sourcesParagraph(src: DebSource, options: SourcesParagraphOptions): string {
  const hashes = options.hashes ?? DEFAULT_DEB_HASHES;
  const fields: Deb822Field[] = [];
  for (const [name, value] of src.control) {
    const lower = name.toLowerCase();
    if (lower === "source") fields.push(["Package", value]);
    else if (
      lower === "package" || lower === "directory" || lower === "status" ||
      lower === "priority" || fileListHash(name)
    ) continue;
    else fields.push([name, value]);
  }
  const directory = options.directory.replace(/\/+$/, "");
  if (directory !== "" && directory !== ".") fields.push(["Directory", directory]);
  for (const [name, hash] of FILE_LIST_FIELDS) {
    if (!hashes.includes(hash)) continue;
    const list = formatFileList(src.files, hash);
    if (list !== undefined) fields.push([name, list]);
  }
  return formatParagraph(orderFields(fields, SOURCES_FIELD_ORDER), { key: src.key, what: ".dsc" });
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

const HASH_BIT: Record<HashName, number> = { md5: 1, sha1: 2, sha256: 4, sha512: 8 };

function hashMask(hashes: readonly HashName[]): number {
  let mask = 0;
  for (const h of hashes) mask |= HASH_BIT[h];
  return mask;
}

/**
 * A binary package read back from a published Packages index whose paragraph is exactly what
 * packagesParagraph() writes for it: kept as that one string (plus the few fields a run needs
 * to plan and sort), its control fields parsed only on demand. Writing it again costs nothing,
 * and 50,000 of them hold about the size of the index instead of some forty small objects and
 * strings each.
 */
export class IndexedDebPackage implements DebPackage {
  readonly key: string;
  readonly kind: DebKind;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly checksums: Checksums;
  mtime: number;
  etag?: string;
  /** The paragraph as packagesParagraph() writes it (no FileTime, ends with "\n"). */
  readonly paragraph: string;
  /** Which digests the paragraph carries (bits of HASH_BIT). */
  readonly hashMask: number;

  constructor(init: {
    key: string;
    name: string;
    version: string;
    architecture: string;
    checksums: Checksums;
    mtime: number;
    paragraph: string;
    hashMask: number;
  }) {
    this.key = init.key;
    this.kind = debKindOf(init.key);
    this.name = init.name;
    this.version = init.version;
    this.architecture = init.architecture;
    this.checksums = init.checksums;
    this.mtime = init.mtime;
    this.paragraph = init.paragraph;
    this.hashMask = init.hashMask;
  }

  /** Control fields (no Filename, Size or digests), parsed from the paragraph. */
  get control(): Deb822Field[] {
    return parseParagraph(this.paragraph, { key: this.key }).filter(([name]) => {
      const lower = name.toLowerCase();
      return lower !== "filename" && lower !== "size" &&
        !PACKAGES_HASH_FIELDS.some(([field]) => field.toLowerCase() === lower);
    });
  }
}

/**
 * The compact form of a package just read: its paragraph formatted once (for `hashes`) and kept
 * as one string instead of its control fields. A package whose paragraph cannot be formatted is
 * returned as is (writing the index then reports it, as for any record).
 */
export function compactPackage(pkg: DebPackage, hashes: readonly HashName[]): DebPackage {
  if (pkg instanceof IndexedDebPackage) return pkg;
  let paragraph: string;
  try {
    paragraph = packagesParagraph(pkg, { hashes });
  } catch {
    return pkg;
  }
  const compact = new IndexedDebPackage({
    key: pkg.key,
    name: pkg.name,
    version: pkg.version,
    architecture: pkg.architecture,
    checksums: pkg.checksums,
    mtime: pkg.mtime,
    paragraph,
    hashMask: hashMask(hashes),
  });
  if (pkg.etag !== undefined) compact.etag = pkg.etag;
  return compact;
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
 */
export function indexedPackage(text: string): IndexedDebPackage | undefined {
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
