/**
 * Packages and Sources indexes of one dist: which records go in which file, in a stable order,
 * encoded as plain, gzip and xz in one pass. `Architecture: all` packages go into every
 * `binary-<arch>`; udebs into `<component>/debian-installer/binary-<arch>/`.
 * Each paragraph carries `FileTime` (the object's mtime in seconds), as the original mkrepo
 * wrote it, so unchanged packages are recognised without reading them again.
 * @module
 */
import type { DebPackage, DebSource } from "../../record/deb_package.ts";
import { type Checksums, HASH_NAMES, type HashName } from "../../record/checksums.ts";
import { MultiHasher } from "../../util/multi_hasher.ts";
import { encodeIndex, xzUnavailable } from "../compress.ts";
import { type Compression, compressionSuffix } from "../../util/compression.ts";
import type { IndexFile } from "../index_file.ts";
import { packagesParagraph, sourcesParagraph } from "./paragraphs.ts";

/** Field mkrepo (and the original) adds to remember a package file's mtime. */
export const FILE_TIME_FIELD = "FileTime";

/** Digests of index files listed in Release. */
export const RELEASE_HASHES: readonly HashName[] = HASH_NAMES;

const FORMATS: readonly Compression[] = ["none", "gzip", "xz"];

const contentTypes: Record<Compression, string> = {
  none: "text/plain; charset=utf-8",
  gzip: "application/gzip",
  xz: "application/x-xz",
  zstd: "application/zstd",
};

/** Formats an mtime (ms) as FileTime seconds. */
export function fileTime(mtimeMs: number): string {
  return String(mtimeMs / 1000);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable order of binary packages: name, version, architecture, key. */
export function comparePackages(a: DebPackage, b: DebPackage): number {
  return compareText(a.name, b.name) || compareText(a.version, b.version) ||
    compareText(a.architecture, b.architecture) || compareText(a.key, b.key);
}

/** Stable order of source packages: name, version, key. */
export function compareSources(a: DebSource, b: DebSource): number {
  return compareText(a.name, b.name) || compareText(a.version, b.version) ||
    compareText(a.key, b.key);
}

/** A paragraph ending with exactly one "\n" (they all do, unless empty). */
function oneNewline(para: string): string {
  const n = para.length;
  return n > 1 && para.charCodeAt(n - 1) === 10 && para.charCodeAt(n - 2) !== 10
    ? para
    : para.replace(/\n*$/, "\n");
}

/** Size of the text pieces handed to the hashers and encoders (one per paragraph costs more). */
const PIECE = 64 * 1024;

/** Joins paragraph chunks into pieces of about PIECE characters. */
function* pieces(chunks: Iterable<string>): Iterable<string> {
  let piece = "";
  for (const chunk of chunks) {
    piece += chunk;
    if (piece.length >= PIECE) {
      yield piece;
      piece = "";
    }
  }
  if (piece.length > 0) yield piece;
}

function* packageChunks(packages: readonly DebPackage[], hashes: readonly HashName[]) {
  for (const p of packages) {
    const para = packagesParagraph(p, { hashes });
    yield `${oneNewline(para)}${FILE_TIME_FIELD}: ${fileTime(p.mtime)}\n\n`;
  }
}

function* sourceChunks(sources: readonly DebSource[], hashes: readonly HashName[]) {
  for (const s of sources) {
    const directory = s.key.slice(0, s.key.lastIndexOf("/"));
    const para = sourcesParagraph(s, { directory, hashes });
    yield `${oneNewline(para)}${FILE_TIME_FIELD}: ${fileTime(s.mtime)}\n\n`;
  }
}

/** The published checksums of an index path, when the file and its by-hash copies are there. */
export type Published = (path: string) => Checksums | undefined;

async function encodeAll(
  base: string,
  chunks: () => Iterable<string>,
  published?: Published,
): Promise<IndexFile[]> {
  // Unchanged content (the common case of a run adding one package elsewhere) is hashed, not
  // re-encoded: xz of a large Packages costs far more than formatting it twice.
  // Only SHA256 and the size are compared; the other digests of equal content are the
  // published ones.
  const same = published?.(base);
  // Without the xz encoder (no --allow-ffi, a bundle), the forms written are plain and gzip.
  const formats = await xzUnavailable() ? FORMATS.filter((f) => f !== "xz") : FORMATS;
  const forms = formats.map((f) => [f, published?.(base + compressionSuffix[f])] as const);
  if (same && forms.every(([, c]) => c)) {
    const hasher = new MultiHasher(["sha256"]);
    const encoder = new TextEncoder();
    for (const piece of pieces(chunks())) hasher.update(encoder.encode(piece));
    const open = hasher.digest();
    if (same.sha256 === open.sha256 && same.size === open.size) {
      return forms.map(([format, checksums]) => ({
        key: base + compressionSuffix[format],
        data: new Uint8Array(0),
        checksums: checksums!,
        open: same,
        contentType: contentTypes[format],
        reused: true,
      }));
    }
  }
  const { open, outputs } = await encodeIndex(pieces(chunks()), FORMATS, RELEASE_HASHES);
  return [...outputs].map(([format, enc]) => ({
    key: base + compressionSuffix[format],
    data: enc.data,
    checksums: enc.checksums,
    open,
    contentType: contentTypes[format],
  }));
}

/** Packages{,.gz,.xz} for one architecture directory (`key` is the path without suffix). */
export function packagesIndex(
  key: string,
  packages: readonly DebPackage[],
  hashes: readonly HashName[],
  published?: Published,
): Promise<IndexFile[]> {
  const sorted = [...packages].sort(comparePackages);
  return encodeAll(key, () => packageChunks(sorted, hashes), published);
}

/** Sources{,.gz,.xz} for one component. */
export function sourcesIndex(
  key: string,
  sources: readonly DebSource[],
  hashes: readonly HashName[],
  published?: Published,
): Promise<IndexFile[]> {
  const sorted = [...sources].sort(compareSources);
  return encodeAll(key, () => sourceChunks(sorted, hashes), published);
}
