/**
 * A Debian dist's next generation in the publish plan: the by-hash copies of its new index
 * files, the indexes at their usual names (each restorable from the previous generation's
 * by-hash copy), the Release entry points (signed or not), and which keys the generation names
 * before and after the run (the cleanup starts from both). Nothing is planned when the
 * published generation is whole and says the same.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import type { Checksums } from "../record/checksums.ts";
import type { IndexFile } from "../index/index_file.ts";
import {
  type ParsedRelease,
  type ReleaseEntry,
  type ReleaseMeta,
  releaseText,
  sameRelease,
} from "../index/deb/release_file.ts";
import type { Signer } from "../sign/signer.ts";
import {
  CACHE_ENTRY,
  CACHE_IMMUTABLE,
  CACHE_INDEX,
  type EntryEtag,
  type PublishPlan,
  type PublishUnit,
} from "./publish_plan.ts";
import { debEntryFlaw } from "./intact.ts";
import { planMalformedList, restoreFor } from "./plan_files.ts";

/** A dist's next generation, as the wiring built it. */
export interface DebGeneration {
  storage: Storage;
  byKey: ReadonlyMap<string, ObjectInfo>;
  /** The dist's folder, `dists/<dist>/`. */
  base: string;
  /** The Release published before the run (undefined: a new dist). */
  old?: ParsedRelease;
  /** Published index files that are whole (intact.ts `wholeIndexes`), by path in the dist. */
  whole: ReadonlyMap<string, Checksums>;
  /** The dist's index files (reused ones carry no data). */
  files: IndexFile[];
  meta: ReleaseMeta;
  /** Malformed package keys of the dist (malformed_list.txt). */
  malformed: readonly string[];
  signer?: Signer;
}

/** The by-hash copies of an index file, by digest name. */
const BY_HASH = [["sha256", "SHA256"], ["sha512", "SHA512"]] as const;

/**
 * The keys a dist's generation names: its entry points, malformed_list.txt, and each index file
 * of `entries` (path in the dist → checksums) at its usual name and by-hash.
 */
export function generationKeys(
  base: string,
  entries: Iterable<[string, Checksums]>,
  to = new Set<string>(),
): Set<string> {
  for (const name of ["InRelease", "Release", "Release.gpg", "malformed_list.txt"]) {
    to.add(base + name);
  }
  for (const [path, c] of entries) nameIndex(to, base, path, c);
  return to;
}

/** Adds the keys a generation names for one index file: its usual name and its by-hash copies. */
function nameIndex(to: Set<string>, base: string, path: string, c: Checksums): void {
  to.add(base + path);
  const dir = base + path.slice(0, path.lastIndexOf("/") + 1);
  for (const [hash, name] of BY_HASH) {
    if (c[hash]) to.add(`${dir}by-hash/${name}/${c[hash]}`);
  }
}

/**
 * Adds a dist's generation to the plan and returns its Release text; nothing (undefined) when
 * the published one is whole and current. `named` receives every key the dist's generation
 * names once the run is done (reused files included), `namedBefore` every key the generation
 * published before the run names.
 */
export async function planDebGeneration(
  plan: PublishPlan,
  gen: DebGeneration,
  named: Set<string>,
  namedBefore: Set<string>,
): Promise<string | undefined> {
  const { storage, byKey, base, old, files, signer } = gen;
  const namedNow = new Set<string>();
  for (const [path, c] of old?.entries ?? []) nameIndex(namedNow, base, path, c);
  namedNow.forEach((k) => namedBefore.add(k));
  generationKeys(base, files.map((f) => [f.key, f.checksums]), named);

  // Nothing to do when the published generation is whole and says the same (apart from Date):
  // same Release content, every index file reused as is, signatures verifying what they sign.
  const entries: ReleaseEntry[] = files.map((f) => ({ path: f.key, checksums: f.checksums }));
  const malformedKey = base + "malformed_list.txt";
  const malformedOk = gen.malformed.length > 0 ? false : !byKey.has(malformedKey);
  if (
    old && malformedOk && files.every((f) => f.reused) && sameRelease(old, gen.meta, entries) &&
    await debEntryFlaw(storage, byKey, base, signer) === undefined
  ) {
    return undefined;
  }
  const restore = (key: string) => restoreFor(storage, byKey, key);
  const release = releaseText(gen.meta, entries);
  const entryKey = base + (signer ? "InRelease" : "Release");
  const unit: PublishUnit = {
    entry: {
      key: entryKey,
      data: signer ? await signer.clearSign(release) : release,
      contentType: "text/plain; charset=utf-8",
      cacheControl: CACHE_ENTRY,
      restore: await restore(entryKey),
    },
    // apt revalidates InRelease with If-Modified-Since: the publisher keeps its Last-Modified
    // second apart from the previous one's (mtime from the listing).
    condition: {
      etag: byKey.get(entryKey)?.etag,
      mtime: byKey.get(entryKey)?.mtime,
      distinctSecond: true,
    },
    indexes: [],
    entryPoints: [],
  };
  plan.units.push(unit);

  // Content-addressed copies first (skipping those already there), then the indexes.
  for (const f of files) {
    if (f.reused) continue; // published as is, by-hash copies included
    const dir = base + f.key.slice(0, f.key.lastIndexOf("/") + 1);
    for (const [hash, name] of BY_HASH) {
      const key = `${dir}by-hash/${name}/${f.checksums[hash]}`;
      // Written again when only an older generation names it: it may be due for cleanup.
      if (!byKey.has(key) || !namedNow.has(key)) {
        plan.content.push({
          key,
          data: f.data,
          contentType: f.contentType,
          cacheControl: CACHE_IMMUTABLE,
        });
      }
    }
    const key = base + f.key;
    if (gen.whole.get(f.key)?.sha256 === f.checksums.sha256) continue; // already there, whole
    const previous = old?.entries.get(f.key)?.sha256;
    const previousCopy = previous ? `${dir}by-hash/SHA256/${previous}` : undefined;
    unit.indexes.push({
      key,
      data: f.data,
      contentType: f.contentType,
      cacheControl: CACHE_INDEX,
      restore: previousCopy && byKey.has(previousCopy)
        ? { kind: "copy", from: previousCopy }
        : await restore(key),
    });
  }
  await planMalformedList(unit.indexes, plan.remove, malformedKey, gen.malformed, restore);

  // Then Release and Release.gpg, for clients that do not read InRelease.
  const entry = async (name: string, data: string, contentType: string) => {
    unit.entryPoints.push({
      key: base + name,
      data,
      contentType,
      cacheControl: CACHE_ENTRY,
      restore: await restore(base + name),
    });
  };
  if (signer) {
    await entry("Release", release, "text/plain; charset=utf-8");
    await entry("Release.gpg", await signer.detachSign(release), "application/pgp-signature");
  } else {
    // An old signature would no longer match: remove it after Release is replaced.
    for (const k of ["InRelease", "Release.gpg"]) {
      if (byKey.has(base + k)) plan.remove.push(base + k);
    }
  }
  return release;
}

/**
 * Keys under dists/ that no generation names once the run is done (`named`), apart from files
 * being removed anyway: the cleanup starts from them.
 */
export function unreferencedDists(
  byKey: ReadonlyMap<string, ObjectInfo>,
  named: ReadonlySet<string>,
  removing: readonly string[],
): string[] {
  const keep = new Set(removing);
  return [...byKey.keys()].filter((k) => k.startsWith("dists/") && !named.has(k) && !keep.has(k));
}

/**
 * The first entry point of every published dist this run does not publish, with its listed
 * etag: package files are deleted only while these are unchanged.
 */
export function untouchedEntries(
  dists: Iterable<string>,
  byKey: ReadonlyMap<string, ObjectInfo>,
  plan: PublishPlan,
): EntryEtag[] {
  const units = new Set(plan.units.map((u) => u.entry.key));
  const out: EntryEtag[] = [];
  for (const dist of dists) {
    const base = `dists/${dist}/`;
    if (units.has(base + "InRelease") || units.has(base + "Release")) continue;
    const key = byKey.has(base + "InRelease") ? base + "InRelease" : base + "Release";
    out.push({ key, etag: byKey.get(key)?.etag });
  }
  return out;
}
