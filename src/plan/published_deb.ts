/**
 * Reads what an existing Debian repository publishes (Release, Packages, Sources), as streams,
 * one paragraph at a time, so a run can reuse the records of unchanged packages and keep the
 * previous generation's files. Works on repositories written by mkrepo, by the original
 * tarantool/mkrepo (FileTime fields, MD5Sum spelling) and by other tools (no FileTime: every
 * package is then read once, and remembered from then on).
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import { readAll } from "../storage/storage.ts";
import type { DebPackage, DebSource } from "../record/deb_package.ts";
import { hasDigests, type HashName } from "../record/checksums.ts";
import { parseParagraph } from "../record/deb822.ts";
import { readParagraphBatches } from "../record/deb822_stream.ts";
import { compressionOf, decompress } from "../util/decompress.ts";
import { MkrepoError } from "../errors.ts";
import { giveBuffer } from "../util/buffer_pool.ts";
import { hashBytes, MultiHasher } from "../util/multi_hasher.ts";
import { type ParsedRelease, parseRelease } from "../index/deb/release_file.ts";
import { debArchitectureProblem, debNameProblem, debVersionProblem } from "../record/deb_fields.ts";
import { packageKeyProblem } from "./package_key.ts";
import {
  indexedPackage,
  packageFromParagraph,
  sourceFromParagraph,
} from "../index/deb/paragraph_records.ts";
import { IndexedDebPackage } from "../index/deb/paragraphs.ts";

/** A component name: archive-area segments (`main`, `non-free-firmware`, `updates/main`). */
const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._+-]*(\/[A-Za-z0-9][A-Za-z0-9._+-]*)*$/;
import { FILE_TIME_FIELD } from "../index/deb/packages_index.ts";

/** A dist as currently published. */
export interface PublishedDist {
  dist: string;
  release: ParsedRelease;
  /** SHA-256 of the published Release (undefined: the dist has only InRelease). */
  releaseSha256?: string;
  /** Etags of the entry points at the start of the run (undefined: absent). */
  etags: { inRelease?: string; release?: string };
  /**
   * Index files (paths in the dist) that readPublishedDeb read at their usual name and found to
   * hold what Release says: nothing needs to read them again to check them.
   */
  readIntact: Set<string>;
}

/** Everything an existing Debian repository publishes. */
export interface PublishedDeb {
  dists: Map<string, PublishedDist>;
  /** Binary and source packages the indexes name, by key. */
  records: Map<string, DebPackage | DebSource>;
}

/**
 * True when a published record still describes the file: same size, same modification time,
 * and every digest the run writes (else the file is read again).
 */
export function debRecordCurrent(
  record: DebPackage | DebSource,
  object: ObjectInfo,
  hashes: readonly HashName[],
): boolean {
  const checksums = "checksums" in record ? record.checksums : record.files[0]?.checksums;
  const digests = record instanceof IndexedDebPackage
    ? record.carries(hashes)
    : "checksums" in record
    ? hasDigests(record.checksums, hashes)
    : true;
  return checksums?.size === object.size && Math.abs(record.mtime - object.mtime) < 1 && digests;
}

const MAX_INDEX_BYTES = 512 * 1024 * 1024;

function takeFileTime(control: [string, string][]): number | undefined {
  const i = control.findIndex(([k]) => k.toLowerCase() === FILE_TIME_FIELD.toLowerCase());
  if (i < 0) return undefined;
  const seconds = Number(control[i][1]);
  control.splice(i, 1);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** Picks the file to read for an index: plain if present, else .gz, else .xz. */
function pickVariant(base: string, exists: (key: string) => boolean): string | undefined {
  for (const suffix of ["", ".gz", ".xz"]) if (exists(base + suffix)) return base + suffix;
  return undefined;
}

/**
 * The paragraphs of an index, as texts, one batch per decoded chunk; `open` is fed the
 * decompressed bytes (to check them against Release). repo/published_paragraphs.ts reads an
 * index again through it, so that paragraph numbers (ParagraphPlace) are the same both times.
 */
export async function* paragraphsOf(
  storage: Storage,
  key: string,
  open: MultiHasher,
): AsyncGenerator<string[]> {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const base = name.startsWith("Sources") ? "Sources" : "Packages";
  const compression = compressionOf(name, base, { key });
  const stream = decompress(await storage.read(key), compression, {
    key,
    name,
    maxOutput: MAX_INDEX_BYTES,
  }).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        open.update(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  // A local plain file is read into pooled buffers (storage/fs_read.ts), given back once
  // decoded: no garbage per megabyte. Only then: a decoder's output may be its own memory.
  const pooled = compression === "none" && storage.localFile !== undefined;
  const done = pooled ? (chunk: Uint8Array) => giveBuffer(chunk.buffer) : undefined;
  try {
    yield* readParagraphBatches(stream, { key: storage.describe(key), done });
  } catch (err) {
    throw indexError(storage, key, err);
  }
}

function indexError(storage: Storage, key: string, err: unknown): MkrepoError {
  if (err instanceof MkrepoError) return err;
  return new MkrepoError({
    code: "malformed-index",
    key: storage.describe(key),
    reason: err instanceof Error ? err.message : String(err),
    hint: "fix or delete the index; mkrepo then reads every package again",
    cause: err,
  });
}

/**
 * Reads the Release of every dist found in the listing (Release, else InRelease), keeping the
 * architectures and components that can be index paths.
 */
export async function readPublishedDists(
  storage: Storage,
  objects: ReadonlyMap<string, ObjectInfo>,
): Promise<Map<string, PublishedDist>> {
  const dists = new Map<string, PublishedDist>();
  const distNames = new Set<string>();
  for (const key of objects.keys()) {
    const m = /^dists\/([^/]+)\/(Release|InRelease)$/.exec(key);
    if (m) distNames.add(m[1]);
  }
  for (const dist of [...distNames].sort()) {
    const base = `dists/${dist}/`;
    const hasRelease = objects.has(base + "Release");
    const bytes = await readAll(storage, base + (hasRelease ? "Release" : "InRelease"));
    const release = parseRelease(new TextDecoder().decode(bytes));
    // Architectures and components that cannot be index paths (written by an older version or
    // another tool) are not carried over: the run then rewrites the Release without them.
    release.architectures = release.architectures.filter((a) =>
      a === "source" || debArchitectureProblem(a) === undefined
    );
    release.components = release.components.filter((c) => COMPONENT.test(c));
    dists.set(dist, {
      dist,
      release,
      releaseSha256: hasRelease ? hashBytes(bytes, ["sha256"]).sha256 : undefined,
      etags: {
        inRelease: objects.get(base + "InRelease")?.etag,
        release: objects.get(base + "Release")?.etag,
      },
      readIntact: new Set(),
    });
  }
  return dists;
}

/** Options of readPublishedDeb. */
export interface ReadPublishedDebOptions {
  /**
   * Hold the packages of canonical paragraphs by place (ParagraphPlace), not by text: their
   * writer must then be given the PublishedParagraphs that reads them again.
   */
  byPlace?: boolean;
}

/** Reads the published state of every dist found in the listing (`dists`: already read). */
export async function readPublishedDeb(
  storage: Storage,
  objects: ReadonlyMap<string, ObjectInfo>,
  dists?: Map<string, PublishedDist>,
  options: ReadPublishedDebOptions = {},
): Promise<PublishedDeb> {
  const out: PublishedDeb = {
    dists: dists ?? await readPublishedDists(storage, objects),
    records: new Map(),
  };
  for (const { dist, release, readIntact } of out.dists.values()) {
    const base = `dists/${dist}/`;
    const bases = new Set<string>();
    for (const path of release.entries.keys()) {
      const m = /^(.*\/(?:Packages|Sources))(?:\.gz|\.xz|\.bz2)?$/.exec(path);
      if (m) bases.add(m[1]);
    }
    for (const indexBase of [...bases].sort()) {
      const key = pickVariant(base + indexBase, (k) => objects.has(k));
      if (!key) continue;
      const isSources = indexBase.endsWith("Sources");
      const errorOptions = { key: storage.describe(key), code: "malformed-index" as const };
      // An entry that could not be indexed today is not reused: its file is read again and is
      // then a malformed package (or is gone).
      const badPackage = (
        p: { key: string; name: string; version: string; architecture: string },
      ) =>
        packageKeyProblem(p.key) ?? debNameProblem(p.name) ?? debVersionProblem(p.version) ??
          debArchitectureProblem(p.architecture);
      // Records are taken only from an index that holds what Release says: one damaged in
      // place (same size, other bytes) must not be republished as the truth.
      const expected = release.entries.get(indexBase);
      const hash = expected?.sha256 ? "sha256" : expected?.md5 ? "md5" : undefined;
      const open = new MultiHasher(hash ? [hash] : []);
      const records = new Map<string, DebPackage | DebSource>();
      let ordinal = 0;
      for await (const batch of paragraphsOf(storage, key, open)) {
        for (const text of batch) {
          // Paragraphs mkrepo wrote are kept as their text (or place); any other is parsed.
          const at = options.byPlace ? { file: key, ordinal } : undefined;
          ordinal++;
          const indexed = isSources ? undefined : indexedPackage(text, at);
          if (indexed) {
            if (!badPackage(indexed)) records.set(indexed.key, indexed);
            continue;
          }
          let fields;
          try {
            fields = parseParagraph(text, { ...errorOptions, what: "index" });
          } catch (err) {
            throw indexError(storage, key, err);
          }
          const mtime = takeFileTime(fields);
          if (isSources) {
            const src = sourceFromParagraph(fields);
            src.mtime = mtime ?? -1;
            const bad = packageKeyProblem(src.key) ?? debNameProblem(src.name, "Source") ??
              debVersionProblem(src.version);
            if (!bad) records.set(src.key, src);
          } else {
            const pkg = packageFromParagraph(fields);
            pkg.mtime = mtime ?? -1;
            if (!badPackage(pkg)) records.set(pkg.key, pkg);
          }
        }
      }
      const got = open.digest();
      const matches = expected !== undefined && got.size === expected.size &&
        (!hash || got[hash] === expected[hash]?.toLowerCase());
      if (matches && key === base + indexBase) readIntact.add(indexBase);
      if (matches || expected === undefined) records.forEach((r, k) => out.records.set(k, r));
    }
  }
  return out;
}
