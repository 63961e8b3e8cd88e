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
import type { Checksums, HashName } from "../../record/checksums.ts";
import type { Deb822Field, DebKind, DebPackage, DebSource } from "../../record/deb_package.ts";
import {
  fieldValue,
  FILE_LIST_FIELDS,
  fileListHash,
  formatFileList,
  formatParagraph,
  parseFileLists,
} from "../../record/deb822.ts";
import { orderFields, PACKAGES_FIELD_ORDER, SOURCES_FIELD_ORDER } from "./field_order.ts";

/** Digest fields of a Packages paragraph. */
export const PACKAGES_HASH_FIELDS: readonly (readonly [name: string, hash: HashName])[] = [
  ["MD5sum", "md5"],
  ["SHA1", "sha1"],
  ["SHA256", "sha256"],
  ["SHA512", "sha512"],
];

const DEFAULT_HASHES: readonly HashName[] = ["md5", "sha256"];

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
  const hashes = options.hashes ?? DEFAULT_HASHES;
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
  const hashes = options.hashes ?? DEFAULT_HASHES;
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

function kindOf(filename: string): DebKind {
  if (filename.endsWith(".udeb")) return "udeb";
  if (filename.endsWith(".ddeb")) return "ddeb";
  return "deb";
}

function indexError(options: FromParagraphOptions, reason: string): MkrepoError {
  return new MkrepoError({ code: "malformed-index", key: options.key, reason });
}

function requiredField(
  fields: readonly Deb822Field[],
  name: string,
  options: FromParagraphOptions,
  what: string,
): string {
  const value = fieldValue(fields, name);
  if (!value) throw indexError(options, `${what} has no ${name} field`);
  return value;
}

/** Rebuilds a DebPackage from a paragraph of an existing Packages index (mtime 0: unknown). */
export function packageFromParagraph(
  fields: readonly Deb822Field[],
  options: FromParagraphOptions = {},
): DebPackage {
  const what = "a Packages paragraph";
  const key = requiredField(fields, "Filename", options, what);
  const sizeText = requiredField(fields, "Size", options, what);
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
    kind: kindOf(key),
    control,
    name: requiredField(fields, "Package", options, key),
    version: requiredField(fields, "Version", options, key),
    architecture: requiredField(fields, "Architecture", options, key),
    checksums,
    mtime: 0,
  };
}

/** Rebuilds a DebSource from a paragraph of an existing Sources index (mtime 0: unknown). */
export function sourceFromParagraph(
  fields: readonly Deb822Field[],
  options: FromParagraphOptions = {},
): DebSource {
  const name = requiredField(fields, "Package", options, "a Sources paragraph");
  const version = requiredField(fields, "Version", options, `source ${name}`);
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
