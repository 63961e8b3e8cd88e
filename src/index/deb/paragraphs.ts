/**
 * Packages and Sources paragraphs exactly as apt-ftparchive writes them, and the compact
 * IndexedDebPackage that keeps a binary package as its written paragraph. Reading records back
 * from an existing index is paragraph_records.ts.
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
import { fieldValue, formatParagraph, parseParagraph } from "../../record/deb822.ts";
import { FILE_LIST_FIELDS, fileListHash, formatFileList } from "../../record/deb822_file_lists.ts";
import { orderFields, PACKAGES_FIELD_ORDER, SOURCES_FIELD_ORDER } from "./field_order.ts";

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

const PACKAGES_REWRITTEN = new Set(
  ["Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512", "Status", "Optional"].map((n) =>
    n.toLowerCase()
  ),
);

/** The Packages paragraph of a binary package (ends with "\n"). */
export function packagesParagraph(pkg: DebPackage, options: PackagesParagraphOptions = {}): string {
  const hashes = options.hashes ?? DEFAULT_DEB_HASHES;
  if (pkg instanceof IndexedDebPackage && pkg.hashMask === hashMask(hashes) && pkg.paragraph) {
    return pkg.paragraph;
  }
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

/** The bit of each digest in IndexedDebPackage.hashMask. */
export const HASH_BIT: Record<HashName, number> = { md5: 1, sha1: 2, sha256: 4, sha512: 8 };

/** The HASH_BIT bits of `hashes`. */
export function hashMask(hashes: readonly HashName[]): number {
  let mask = 0;
  for (const h of hashes) mask |= HASH_BIT[h];
  return mask;
}

/**
 * Where a kept package's paragraph lies in a published index: a run that holds it by place
 * reads it again from there when it writes the index (PublishedParagraphs), instead of holding
 * its text.
 */
export interface ParagraphPlace {
  /** Storage key of the index file it was read from. */
  file: string;
  /** Its paragraph's number in that file, from 0, counting every paragraph. */
  ordinal: number;
  /** Characters of that paragraph before its FileTime field (all of them without one). */
  body: number;
}

/**
 * A binary package read back from a published Packages index whose paragraph is exactly what
 * packagesParagraph() writes for it: kept as that one string (plus the few fields a run needs
 * to plan and sort), its control fields parsed only on demand. Writing it again costs nothing,
 * and 50,000 of them hold about the size of the index instead of some forty small objects and
 * strings each. Held by place instead (`place`, no `paragraph`), it keeps neither text nor
 * digests (`checksums` has the size only): the writer reads the paragraph again.
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
  readonly paragraph?: string;
  /** Where the paragraph is, when it is not held. */
  readonly place?: ParagraphPlace;
  /** Which digests the paragraph carries (bits of HASH_BIT). */
  readonly hashMask: number;

  constructor(init: {
    key: string;
    name: string;
    version: string;
    architecture: string;
    checksums: Checksums;
    mtime: number;
    paragraph?: string;
    place?: ParagraphPlace;
    hashMask: number;
  }) {
    this.key = init.key;
    this.kind = debKindOf(init.key);
    this.name = init.name;
    this.version = init.version;
    this.architecture = init.architecture;
    this.checksums = init.checksums;
    this.mtime = init.mtime;
    if (init.paragraph !== undefined) this.paragraph = init.paragraph;
    if (init.place) this.place = init.place;
    this.hashMask = init.hashMask;
  }

  /** True when the paragraph carries every digest in `hashes`. */
  carries(hashes: readonly HashName[]): boolean {
    const mask = hashMask(hashes);
    return (this.hashMask & mask) === mask;
  }

  /** Control fields (no Filename, Size or digests), parsed from the paragraph. */
  get control(): Deb822Field[] {
    if (this.paragraph === undefined) {
      throw new MkrepoError({
        code: "internal",
        key: this.key,
        reason: "the control fields of a package held by place were asked for",
      });
    }
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
