/**
 * Updates a Debian repository: listing → plan (what is new, changed, gone) → read only the new
 * packages → Packages/Sources per dist, component and architecture → Release → signatures →
 * publish in the safe order. The only module that knows this whole order for Debian.
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import type { DebPackage, DebSource } from "../record/deb_package.ts";
import type { HashName } from "../record/checksums.ts";
import { MkrepoError } from "../errors.ts";
import { debFileKind, poolPlace } from "../plan/pool_path.ts";
import { newSummary, type ReadCache, readChanged, reportWrite } from "./read_changed.ts";
import { publicKeyFile } from "./public_key.ts";
import { readDeb } from "../reader/deb/read_deb.ts";
import { readDsc } from "../reader/deb/read_dsc.ts";
import { hashStream } from "../reader/hashing.ts";
import { packagesIndex, sourcesIndex } from "../index/deb/packages_index.ts";
import { type PublishedDeb, readPublishedDeb } from "../index/deb/read_packages.ts";
import {
  type ParsedRelease,
  parseRelease,
  type ReleaseEntry,
  releaseText,
} from "../index/deb/release_file.ts";
import type { IndexFile } from "../index/index_file.ts";
import {
  CACHE_ENTRY,
  CACHE_IMMUTABLE,
  CACHE_INDEX,
  publish,
  type PublishPlan,
  type Restore,
} from "../publish/publisher.ts";
import type { Signer } from "../sign/signer.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";

/** Options of a Debian update. */
export interface DebUpdateOptions {
  /** Location shown in the summary. */
  path: string;
  events: RunEvents;
  force?: boolean;
  dryRun?: boolean;
  /** Package digests written in Packages (md5 and sha256 at least). */
  hashes?: HashName[];
  /** Architectures every dist declares. */
  architectures?: string[];
  /** Components recognised in pool/<dist>/<component>/. */
  components?: string[];
  origin?: string;
  label?: string;
  description?: string;
  /** Release Date (default: now). */
  date?: Date;
  concurrency?: number;
  signer?: Signer;
  /** Publish the signer's public key under this key. */
  publicKeyName?: string;
  publicRead?: boolean;
  /** Listing to use instead of listing the storage (the caller already has it). */
  objects?: ObjectInfo[];
  /** Records read by an earlier attempt of the same run (kept across conflict retries). */
  readCache?: ReadCache<DebPackage | DebSource>;
}

/** Architectures a dist declares when it holds only `all` packages and none were declared. */
export const FALLBACK_ARCHITECTURES = ["amd64", "arm64"];

function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 1;
}

function hasHashes(
  c: { md5?: string; sha1?: string; sha256?: string; sha512?: string },
  hashes: readonly HashName[],
) {
  return hashes.every((h) => c[h] !== undefined);
}

/** Updates (or creates) the Debian repository in `storage`; returns the run's summary. */
export async function updateDebRepository(
  storage: Storage,
  options: DebUpdateOptions,
): Promise<RepoSummary> {
  const events = options.events;
  const hashes = options.hashes ?? ["md5", "sha256"];
  const objects = options.objects ?? (await Array.fromAsync(storage.list("")));
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const published = await readPublishedDeb(storage, byKey);

  const components = new Set(options.components ?? ["main"]);
  for (const d of published.dists.values()) d.release.components.forEach((c) => components.add(c));

  // Plan: which pool files are unchanged, new, changed, gone.
  const packages = new Map<string, DebPackage>();
  const sources = new Map<string, DebSource>();
  const toRead: ObjectInfo[] = [];
  const summary = newSummary(options.path, "deb", options.dryRun ?? false);
  for (const o of objects) {
    if (!o.key.startsWith("pool/")) continue;
    const kind = debFileKind(o.key);
    if (!kind) continue;
    const old = kind === "dsc" ? published.sources.get(o.key) : published.packages.get(o.key);
    const oldSize = old && ("checksums" in old ? old.checksums.size : old.files[0]?.checksums.size);
    const reusable = old && oldSize === o.size && sameTime(old.mtime, o.mtime) &&
      ("checksums" in old ? hasHashes(old.checksums, hashes) : true);
    if (reusable) {
      if ("checksums" in old) packages.set(o.key, old);
      else sources.set(o.key, old as DebSource);
      events.detail(`Skipping: ${o.key}`);
    } else {
      toRead.push(o);
      if (old) summary.changedKeys.push(o.key);
      else summary.addedKeys.push(o.key);
    }
  }
  for (const key of [...published.packages.keys(), ...published.sources.keys()]) {
    if (!byKey.has(key)) summary.removedKeys.push(key);
  }

  // Read new and changed files, in parallel, results in listing order.
  const { records, malformed } = await readChanged<DebPackage | DebSource>(storage, toRead, {
    events,
    summary,
    concurrency: options.concurrency,
    force: options.force,
    readCache: options.readCache,
    read: async (o) => {
      const kind = debFileKind(o.key)!;
      const stream = await storage.read(o.key);
      if (kind !== "dsc") {
        return await readDeb(stream, { key: o.key, kind, hashes, mtime: o.mtime, etag: o.etag });
      }
      const src = await readDsc(stream, { key: o.key, hashes, mtime: o.mtime, etag: o.etag });
      await completeSourceHashes(storage, src, hashes, byKey);
      return src;
    },
  });
  for (const r of records) {
    if ("files" in r) sources.set(r.key, r);
    else packages.set(r.key, r);
  }
  const malformedByDist = new Map<string, string[]>();
  for (const o of malformed) {
    const { dist } = poolPlace(o.key, components);
    malformedByDist.set(dist, [...(malformedByDist.get(dist) ?? []), o.key]);
  }
  summary.packages = packages.size + sources.size;

  // Build every dist's indexes and Release, and what to write.
  const dists = new Set<string>(published.dists.keys());
  for (const key of [...packages.keys(), ...sources.keys(), ...summary.malformed]) {
    dists.add(poolPlace(key, components).dist);
  }
  const plan: PublishPlan = { content: [], indexes: [], entryPoints: [], remove: [] };
  const entryConditions: { key: string; etag?: string }[] = [];
  for (const dist of [...dists].sort()) {
    await planDist(dist, {
      storage,
      options,
      hashes,
      components,
      packages: [...packages.values()].filter((p) => poolPlace(p.key, components).dist === dist),
      sources: [...sources.values()].filter((s) => poolPlace(s.key, components).dist === dist),
      published,
      byKey,
      malformed: malformedByDist.get(dist) ?? [],
      plan,
      entryConditions,
    });
  }
  const keyFile = await publicKeyFile(storage, byKey, options.signer, options.publicKeyName);
  if (keyFile) plan.indexes.push(keyFile);

  if (plan.entryPoints.length === 0 && plan.indexes.length === 0 && plan.remove.length === 0) {
    summary.upToDate = true;
    events.info(`${options.path}: up to date (${summary.packages} packages)`);
    return summary;
  }
  const condition = entryConditions[0];
  const result = await publish(storage, plan, {
    dryRun: options.dryRun,
    publicRead: options.publicRead,
    // apt revalidates InRelease with If-Modified-Since: the publisher keeps its Last-Modified
    // second apart from the previous one's (mtime from the listing).
    condition: condition
      ? { etag: condition.etag, mtime: byKey.get(condition.key)?.mtime, distinctSecond: true }
      : undefined,
    onWrite: (key, action) => reportWrite(events, key, action, options.dryRun),
    onCleanupError: (key, err) =>
      events.warn(
        `could not remove ${storage.describe(key)}, which the repository no longer uses ` +
          `(the next run removes it): ${err instanceof Error ? err.message : String(err)}`,
      ),
  });
  summary.written = result.written;
  summary.deleted = result.removed;
  return summary;
}

/** For a .dsc whose checksum lists lack a requested digest, hashes the listed files. */
async function completeSourceHashes(
  storage: Storage,
  src: DebSource,
  hashes: readonly HashName[],
  byKey: ReadonlyMap<string, ObjectInfo>,
): Promise<void> {
  const dir = src.key.slice(0, src.key.lastIndexOf("/") + 1);
  for (const f of src.files.slice(1)) {
    const key = dir + f.name;
    const obj = byKey.get(key);
    if (!obj) {
      throw new MkrepoError({
        code: "malformed-package",
        key: src.key,
        reason: `it lists ${f.name}, which is not in ${dir || "the repository root"}`,
      });
    }
    if (obj.size !== f.checksums.size) {
      throw new MkrepoError({
        code: "malformed-package",
        key: src.key,
        reason:
          `it lists ${f.name} with size ${f.checksums.size}, but the file has ${obj.size} bytes`,
      });
    }
    if (!hasHashes(f.checksums, hashes)) {
      const sums = await hashStream(await storage.read(key), hashes);
      f.checksums = { ...sums, ...f.checksums };
    }
  }
}

interface DistContext {
  storage: Storage;
  options: DebUpdateOptions;
  hashes: HashName[];
  components: Set<string>;
  packages: DebPackage[];
  sources: DebSource[];
  published: PublishedDeb;
  byKey: ReadonlyMap<string, ObjectInfo>;
  malformed: string[];
  plan: PublishPlan;
  entryConditions: { key: string; etag?: string }[];
}

async function planDist(dist: string, ctx: DistContext): Promise<void> {
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

  const files: IndexFile[] = [];
  for (const comp of compList) {
    const inComp = ctx.packages.filter((p) => poolPlace(p.key, components).component === comp);
    const debs = inComp.filter((p) => p.kind !== "udeb");
    const udebs = inComp.filter((p) => p.kind === "udeb");
    for (const arch of archList) {
      const pick = (list: DebPackage[]) =>
        list.filter((p) => p.architecture === arch || p.architecture === "all");
      files.push(...await packagesIndex(`${comp}/binary-${arch}/Packages`, pick(debs), ctx.hashes));
      if (udebs.length > 0) {
        files.push(
          ...await packagesIndex(
            `${comp}/debian-installer/binary-${arch}/Packages`,
            pick(udebs),
            ctx.hashes,
          ),
        );
      }
    }
    const srcs = ctx.sources.filter((s) => poolPlace(s.key, components).component === comp);
    if (srcs.length > 0) {
      files.push(...await sourcesIndex(`${comp}/source/Sources`, srcs, ctx.hashes));
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
  const release = releaseText(meta, entries);

  // Nothing to do when the published Release already says the same (apart from Date).
  const signedOk = ctx.options.signer
    ? byKey.has(base + "InRelease") && byKey.has(base + "Release.gpg")
    : !byKey.has(base + "InRelease") && !byKey.has(base + "Release.gpg");
  const malformedKey = base + "malformed_list.txt";
  const malformedOk = ctx.malformed.length > 0 ? false : !byKey.has(malformedKey);
  if (
    old && releaseIdentity(old.release) === releaseIdentity(parseRelease(release)) && signedOk &&
    malformedOk
  ) {
    return;
  }

  // Content-addressed copies first (skipping those already there), then the indexes.
  const restoreFor = async (key: string): Promise<Restore> =>
    byKey.has(key) ? { kind: "bytes", data: await readAll(ctx.storage, key) } : { kind: "remove" };
  for (const f of files) {
    const dir = base + f.key.slice(0, f.key.lastIndexOf("/") + 1);
    for (const [hash, name] of [["sha256", "SHA256"], ["sha512", "SHA512"]] as const) {
      const key = `${dir}by-hash/${name}/${f.checksums[hash]}`;
      if (!byKey.has(key)) {
        plan.content.push({
          key,
          data: f.data,
          contentType: f.contentType,
          cacheControl: CACHE_IMMUTABLE,
        });
      }
    }
    const key = base + f.key;
    const previous = old?.release.entries.get(f.key)?.sha256;
    const previousCopy = previous ? `${dir}by-hash/SHA256/${previous}` : undefined;
    if (previous === f.checksums.sha256 && byKey.get(key)?.size === f.checksums.size) continue;
    plan.indexes.push({
      key,
      data: f.data,
      contentType: f.contentType,
      cacheControl: CACHE_INDEX,
      restore: previousCopy && byKey.has(previousCopy)
        ? { kind: "copy", from: previousCopy }
        : await restoreFor(key),
    });
  }
  const text = "text/plain; charset=utf-8";
  if (ctx.malformed.length > 0) {
    plan.indexes.push({
      key: malformedKey,
      data: ctx.malformed.join("\n") + "\n",
      contentType: text,
      cacheControl: CACHE_INDEX,
      restore: await restoreFor(malformedKey),
    });
  } else if (byKey.has(malformedKey)) plan.remove.push(malformedKey);

  // Entry points: InRelease first (apt prefers it), then Release and Release.gpg.
  const entry = async (name: string, data: string, contentType = text) => {
    plan.entryPoints.push({
      key: base + name,
      data,
      contentType,
      cacheControl: CACHE_ENTRY,
      restore: await restoreFor(base + name),
    });
  };
  if (ctx.options.signer) {
    const inRelease = await ctx.options.signer.clearSign(release);
    const detached = await ctx.options.signer.detachSign(release);
    ctx.entryConditions.push({ key: base + "InRelease", etag: old?.etags.inRelease });
    await entry("InRelease", inRelease);
    await entry("Release", release);
    await entry("Release.gpg", detached, "application/pgp-signature");
  } else {
    ctx.entryConditions.push({ key: base + "Release", etag: old?.etags.release });
    await entry("Release", release);
    // An old signature would no longer match: remove it after Release is replaced.
    for (const k of ["InRelease", "Release.gpg"]) {
      if (byKey.has(base + k)) plan.remove.push(base + k);
    }
  }

  // Previous generation stays; files neither generation names are removed.
  const keep = new Set<string>();
  const named = (path: string, c: { sha256?: string; sha512?: string }) => {
    keep.add(base + path);
    const dir = base + path.slice(0, path.lastIndexOf("/") + 1);
    if (c.sha256) keep.add(`${dir}by-hash/SHA256/${c.sha256}`);
    if (c.sha512) keep.add(`${dir}by-hash/SHA512/${c.sha512}`);
  };
  for (const f of files) named(f.key, f.checksums);
  for (const [path, c] of old?.release.entries ?? []) named(path, c);
  for (const key of byKey.keys()) {
    if (!key.startsWith(base) || keep.has(key)) continue;
    if (
      /\/by-hash\/[^/]+\/[0-9a-f]+$/.test(key) ||
      /\/(Packages|Sources)(\.gz|\.xz|\.bz2)?$/.test(key)
    ) {
      plan.remove.push(key);
    }
  }
}

/** A Release's content apart from its Date: equal identities mean nothing to publish. */
function releaseIdentity(release: ParsedRelease): string {
  const fields = [...release.fields].filter(([k]) =>
    !["Date", "MD5Sum", "SHA1", "SHA256", "SHA512"].includes(k)
  );
  const entries = [...release.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([fields, entries]);
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
