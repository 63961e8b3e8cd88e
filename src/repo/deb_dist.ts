/**
 * One dist of a Debian repository: which architectures and components it declares, its
 * Packages/Sources indexes, its Release (signed), and the publish plan entries for them —
 * content-addressed copies, indexes with how to restore them, entry points, and the files of
 * older generations to remove. Nothing is planned when the published generation is whole and
 * says the same.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import type { DebPackage, DebSource } from "../record/deb_package.ts";
import type { HashName } from "../record/checksums.ts";
import { MkrepoError } from "../errors.ts";
import { poolPlace } from "../plan/pool_path.ts";
import { planMalformedList, restoreFor as restoreOf } from "./publish_steps.ts";
import { packagesIndex, sourcesIndex } from "../index/deb/packages_index.ts";
import type { PublishedDeb } from "../plan/published_deb.ts";
import { type ReleaseEntry, releaseText, sameRelease } from "../index/deb/release_file.ts";
import type { IndexFile } from "../index/index_file.ts";
import {
  CACHE_ENTRY,
  CACHE_IMMUTABLE,
  CACHE_INDEX,
  type PublishPlan,
  type PublishUnit,
} from "../publish/publish_plan.ts";
import { debEntryFlaw, wholeIndexes } from "../publish/intact.ts";
import type { Signer } from "../sign/signer.ts";

/** Architectures a dist declares when it holds only `all` packages and none were declared. */
export const FALLBACK_ARCHITECTURES = ["amd64", "arm64"];

/** Release metadata and signing settings of a Debian update. */
export interface DistOptions {
  architectures?: string[];
  origin?: string;
  label?: string;
  description?: string;
  date?: Date;
  signer?: Signer;
}

/** Everything planDist() needs about the run. */
export interface DistContext {
  storage: Storage;
  options: DistOptions;
  hashes: HashName[];
  components: Set<string>;
  packages: DebPackage[];
  sources: DebSource[];
  published: PublishedDeb;
  byKey: ReadonlyMap<string, ObjectInfo>;
  malformed: string[];
  plan: PublishPlan;
  /** Receives every key the dist's generation names once the run is done. */
  named: Set<string>;
  /** Receives every key the dist's generation published before the run names. */
  namedBefore: Set<string>;
}

/** Adds one dist's files to the publish plan (nothing when it is already up to date). */
export async function planDist(dist: string, ctx: DistContext): Promise<void> {
  const { options, components, byKey, plan } = ctx;
  const base = `dists/${dist}/`;
  const old = ctx.published.dists.get(dist);

  const comps = new Set<string>();
  const archs = new Set<string>(options.architectures ?? []);
  old?.release.architectures.forEach((a) => a !== "all" && a !== "source" && archs.add(a));
  old?.release.components.forEach((c) => comps.add(c));
  for (const p of ctx.packages) {
    comps.add(poolPlace(p.key, components).component);
    if (p.architecture !== "all") archs.add(p.architecture);
  }
  for (const s of ctx.sources) comps.add(poolPlace(s.key, components).component);
  if (comps.size === 0) comps.add("main");
  if (archs.size === 0) FALLBACK_ARCHITECTURES.forEach((a) => archs.add(a));
  const archList = [...archs].sort();
  const compList = [...comps].sort();

  // Published index files that are whole: their usual name holds what Release says and both
  // by-hash copies exist. Only those are reused; anything else is written again.
  const whole = await wholeIndexes(ctx.storage, byKey, base, old?.release);
  const published = (path: string) => whole.get(path);
  const files: IndexFile[] = [];
  for (const comp of compList) {
    const inComp = ctx.packages.filter((p) => poolPlace(p.key, components).component === comp);
    const debs = inComp.filter((p) => p.kind !== "udeb");
    const udebs = inComp.filter((p) => p.kind === "udeb");
    for (const arch of archList) {
      const pick = (list: DebPackage[]) =>
        list.filter((p) => p.architecture === arch || p.architecture === "all");
      files.push(
        ...await packagesIndex(
          `${comp}/binary-${arch}/Packages`,
          pick(debs),
          ctx.hashes,
          published,
        ),
      );
      if (udebs.length > 0) {
        files.push(
          ...await packagesIndex(
            `${comp}/debian-installer/binary-${arch}/Packages`,
            pick(udebs),
            ctx.hashes,
            published,
          ),
        );
      }
    }
    const srcs = ctx.sources.filter((s) => poolPlace(s.key, components).component === comp);
    if (srcs.length > 0) {
      files.push(...await sourcesIndex(`${comp}/source/Sources`, srcs, ctx.hashes, published));
    }
  }

  const entries: ReleaseEntry[] = files.map((f) => ({ path: f.key, checksums: f.checksums }));
  const meta = {
    origin: releaseValue("Origin", options.origin),
    label: releaseValue("Label", options.label),
    suite: dist,
    codename: dist,
    date: options.date ?? new Date(),
    architectures: archList,
    components: compList,
    description: releaseValue("Description", options.description),
  };

  // What the generation names once the run is done (reused files included), and what the one
  // published before names: the cleanup of unreferenced files starts from both.
  const nameAll = (to: Set<string>, path: string, c: { sha256?: string; sha512?: string }) => {
    to.add(base + path);
    const dir = base + path.slice(0, path.lastIndexOf("/") + 1);
    if (c.sha256) to.add(`${dir}by-hash/SHA256/${c.sha256}`);
    if (c.sha512) to.add(`${dir}by-hash/SHA512/${c.sha512}`);
  };
  for (const name of ["InRelease", "Release", "Release.gpg", "malformed_list.txt"]) {
    ctx.named.add(base + name);
  }
  const namedNow = new Set<string>();
  for (const [path, c] of old?.release.entries ?? []) nameAll(namedNow, path, c);
  namedNow.forEach((k) => ctx.namedBefore.add(k));
  for (const f of files) nameAll(ctx.named, f.key, f.checksums);

  // Nothing to do when the published generation is whole and says the same (apart from Date):
  // same Release content, every index file reused as is, signatures verifying what they sign.
  const malformedKey = base + "malformed_list.txt";
  const malformedOk = ctx.malformed.length > 0 ? false : !byKey.has(malformedKey);
  if (
    old && malformedOk && files.every((f) => f.reused) &&
    sameRelease(old.release, meta, entries) &&
    await debEntryFlaw(ctx.storage, byKey, base, options.signer) === undefined
  ) {
    return;
  }
  const release = releaseText(meta, entries);
  const entryKey = base + (options.signer ? "InRelease" : "Release");
  const unit: PublishUnit = {
    entry: {
      key: entryKey,
      data: options.signer ? await options.signer.clearSign(release) : release,
      contentType: "text/plain; charset=utf-8",
      cacheControl: CACHE_ENTRY,
      restore: await restoreOf(ctx.storage, byKey, entryKey),
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
  const restoreFor = (key: string) => restoreOf(ctx.storage, byKey, key);
  for (const f of files) {
    if (f.reused) continue; // published as is, by-hash copies included
    const dir = base + f.key.slice(0, f.key.lastIndexOf("/") + 1);
    for (const [hash, name] of [["sha256", "SHA256"], ["sha512", "SHA512"]] as const) {
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
    if (whole.get(f.key)?.sha256 === f.checksums.sha256) continue; // already there, whole
    const previous = old?.release.entries.get(f.key)?.sha256;
    const previousCopy = previous ? `${dir}by-hash/SHA256/${previous}` : undefined;
    unit.indexes.push({
      key,
      data: f.data,
      contentType: f.contentType,
      cacheControl: CACHE_INDEX,
      restore: previousCopy && byKey.has(previousCopy)
        ? { kind: "copy", from: previousCopy }
        : await restoreFor(key),
    });
  }
  await planMalformedList(unit.indexes, plan.remove, malformedKey, ctx.malformed, restoreFor);

  // Then Release and Release.gpg, for clients that do not read InRelease.
  const entry = async (name: string, data: string, contentType: string) => {
    unit.entryPoints.push({
      key: base + name,
      data,
      contentType,
      cacheControl: CACHE_ENTRY,
      restore: await restoreFor(base + name),
    });
  };
  if (options.signer) {
    await entry("Release", release, "text/plain; charset=utf-8");
    await entry(
      "Release.gpg",
      await options.signer.detachSign(release),
      "application/pgp-signature",
    );
  } else {
    // An old signature would no longer match: remove it after Release is replaced.
    for (const k of ["InRelease", "Release.gpg"]) {
      if (byKey.has(base + k)) plan.remove.push(base + k);
    }
  }
}

/** A Release field value from the user: trimmed, one line, "Repo generator" when unset. */
function releaseValue(field: string, value: string | undefined): string {
  const v = (value ?? "").trim();
  if (/[\r\n]/.test(v)) {
    throw new MkrepoError({
      code: "usage",
      action: "write Release",
      reason: `the ${field} value must be one line`,
      hint:
        `remove line breaks from MKREPO_DEB_${field.toUpperCase()} / --deb-${field.toLowerCase()}`,
    });
  }
  return v === "" ? "Repo generator" : v;
}
