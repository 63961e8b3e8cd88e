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
import {
  hashMask,
  IndexedDebPackage,
  packagesParagraph,
  type ParagraphPlace,
  sourcesParagraph,
} from "./paragraphs.ts";
import { indexedPackage } from "./paragraph_records.ts";
import { CONFLICT_HINT, MkrepoError } from "../../errors.ts";

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
async function* pieces(chunks: AsyncIterable<string> | Iterable<string>): AsyncIterable<string> {
  let piece = "";
  for await (const chunk of chunks) {
    piece += chunk;
    if (piece.length >= PIECE) {
      yield piece;
      piece = "";
    }
  }
  if (piece.length > 0) yield piece;
}

/**
 * Reads the paragraphs of packages held by place (ParagraphPlace) again from their published
 * index; repo/ implements it (index/ reads no storage).
 */
export interface PublishedParagraphs {
  /** A reading for one pass over an index's packages: take() them, then close() (always). */
  open(): {
    /** The whole paragraph at `place` (FileTime included). Cheapest in file order. */
    take(place: ParagraphPlace): Promise<string>;
    close(): Promise<void>;
  };
}

async function* packageChunks(
  packages: readonly DebPackage[],
  hashes: readonly HashName[],
  published?: PublishedParagraphs,
) {
  const reading = packages.some(byPlace) ? placeReader(published).open() : undefined;
  try {
    for (const p of packages) {
      const para = byPlace(p)
        ? await placedParagraph(p, hashes, reading!)
        : packagesParagraph(p, { hashes });
      yield `${oneNewline(para)}${FILE_TIME_FIELD}: ${fileTime(p.mtime)}\n\n`;
    }
  } finally {
    await reading?.close();
  }
}

function byPlace(p: DebPackage): p is IndexedDebPackage & { place: ParagraphPlace } {
  return p instanceof IndexedDebPackage && p.place !== undefined;
}

function placeReader(published: PublishedParagraphs | undefined): PublishedParagraphs {
  if (published) return published;
  throw new MkrepoError({
    code: "internal",
    reason: "packages held by place, but no way to read their paragraphs was given",
  });
}

/**
 * The paragraph of a package held by place: its published text up to FileTime when it carries
 * exactly the digests written, else written again from that text. A text that is not the
 * package's any more (the index was replaced since it was read) is a conflict: the run starts
 * over.
 */
async function placedParagraph(
  p: IndexedDebPackage & { place: ParagraphPlace },
  hashes: readonly HashName[],
  reading: ReturnType<PublishedParagraphs["open"]>,
): Promise<string> {
  const text = await reading.take(p.place);
  // Continuation lines start with a blank: only the field itself can match.
  if (!text.includes(`\nFilename: ${p.key}\n`)) throw indexChanged(p);
  if (p.hashMask === hashMask(hashes)) return text.slice(0, p.place.body);
  const full = indexedPackage(text);
  if (!full) throw indexChanged(p);
  return packagesParagraph(full, { hashes });
}

function indexChanged(p: IndexedDebPackage & { place: ParagraphPlace }): MkrepoError {
  return new MkrepoError({
    code: "conflict",
    key: p.place.file,
    reason: `its paragraph ${p.place.ordinal} no longer describes ${p.key}`,
    hint: CONFLICT_HINT,
  });
}

function* sourceChunks(sources: readonly DebSource[], hashes: readonly HashName[]) {
  for (const s of sources) {
    const directory = s.key.slice(0, s.key.lastIndexOf("/"));
    const para = sourcesParagraph(s, { directory, hashes });
    yield `${oneNewline(para)}${FILE_TIME_FIELD}: ${fileTime(s.mtime)}\n\n`;
  }
}

/** Size of the buffer index text is encoded into to be hashed. */
const HASH_BUFFER = 64 * 1024;

/**
 * Size and SHA256 of the text the chunks make, encoded into one reused buffer: a new array per
 * piece is garbage outside the V8 heap, freed only when a collection finds it (50,000 entries:
 * 22 MB a pass).
 */
async function openDigest(chunks: AsyncIterable<string> | Iterable<string>): Promise<Checksums> {
  const hasher = new MultiHasher(["sha256"]);
  const encoder = new TextEncoder();
  const buffer = new Uint8Array(HASH_BUFFER);
  let used = 0;
  for await (let text of chunks) {
    while (true) {
      const { read, written } = encoder.encodeInto(text, buffer.subarray(used));
      used += written;
      if (read === text.length) break;
      // The buffer is full (to within a character): hash it, go on with the rest.
      hasher.update(buffer.subarray(0, used));
      used = 0;
      text = text.slice(read);
    }
  }
  hasher.update(buffer.subarray(0, used));
  return hasher.digest();
}

/** The published checksums of an index path, when the file and its by-hash copies are there. */
export type Published = (path: string) => Checksums | undefined;

async function encodeAll(
  base: string,
  chunks: () => AsyncIterable<string> | Iterable<string>,
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
    const open = await openDigest(chunks());
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

/**
 * Packages{,.gz,.xz} for one architecture directory (`key` is the path without suffix);
 * `paragraphs` reads the paragraphs of packages held by place.
 */
export function packagesIndex(
  key: string,
  packages: readonly DebPackage[],
  hashes: readonly HashName[],
  published?: Published,
  paragraphs?: PublishedParagraphs,
): Promise<IndexFile[]> {
  const sorted = [...packages].sort(comparePackages);
  // Packages held by place beside others (read in this run): the index changed, in practice
  // always, so it is not read once more just to hash it. Were it the same after all, it would be
  // encoded to the same bytes, and publishing finds them there.
  const mixed = sorted.some(byPlace) && !sorted.every(byPlace);
  return encodeAll(
    key,
    () => packageChunks(sorted, hashes, paragraphs),
    mixed ? undefined : published,
  );
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
