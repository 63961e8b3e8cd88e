/**
 * Updates an RPM repository: listing → plan against the published repodata (location, size,
 * file time) → read only new and changed rpms → primary/filelists/other (checksum-named) →
 * repomd.xml (records mkrepo does not produce are kept) → signature → publish in the safe
 * order. The only module that knows this whole order for RPM.
 * @module
 */
import { type ObjectInfo, readAll, readSource, type Storage } from "../storage/storage.ts";
import type { RpmPackage } from "../record/rpm_package.ts";
import { compareRpmPackages } from "../record/rpm_package.ts";
import { readRpm } from "../reader/rpm/read_rpm.ts";
import { decompress } from "../util/decompress.ts";
import { compressionSuffix } from "../util/compression.ts";
import { plural } from "../util/plural.ts";
import { mergeRepodata, readRepodata } from "../index/rpm/read_metadata.ts";
import {
  hasCompleteRepodata,
  readRepomd,
  REPOMD,
  type Repomd,
  type RepomdRecord,
  splitRecords,
  writeRepomd,
} from "../index/rpm/repomd_xml.ts";
import {
  type MetadataCompression,
  metadataRecord,
  writeMetadataFile,
} from "../index/rpm/metadata_file.ts";
import {
  CACHE_ENTRY,
  CACHE_IMMUTABLE,
  emptyPlan,
  type EntryEtag,
  isEmptyPlan,
  type OutputFile,
  type PublishUnit,
} from "../publish/publish_plan.ts";
import { detachedSignatureFlaw } from "../publish/intact.ts";
import type { Signer } from "../sign/signer.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";
import { newSummary, type ReadCache, readChanged } from "./read_changed.ts";
import {
  type CleanupContext,
  planCleanup,
  planMalformedList,
  publishRun,
  restoreFor,
} from "./publish_steps.ts";
import { type CleanupRecord, emptyCleanupRecord } from "../record/cleanup_record.ts";
import { isPending, type LifecycleOptions } from "../plan/lifecycle.ts";
import { dropRpms } from "./rpm_lifecycle.ts";
import { publicKeyFile } from "./public_key.ts";

/** Options of an RPM update. */
export interface RpmUpdateOptions {
  /** Location shown in the summary. */
  path: string;
  events: RunEvents;
  force?: boolean;
  dryRun?: boolean;
  /** Compression of primary/filelists/other (default gzip: every yum/dnf reads it). */
  compression?: MetadataCompression;
  /** repomd.xml revision and timestamps (default: now). */
  date?: Date;
  concurrency?: number;
  signer?: Signer;
  publicKeyName?: string;
  publicRead?: boolean;
  objects?: ObjectInfo[];
  readCache?: ReadCache<RpmPackage>;
  /** How long a file no repomd.xml names is kept before it is deleted (default one hour). */
  graceSeconds?: number;
  /** Retention and `mkrepo remove` (nothing: every package stays). */
  lifecycle?: LifecycleOptions;
  /** The cleanup record read at the start of the run (pending package files among it). */
  cleanup?: CleanupRecord;
  /** The repository's settings file, published with the indexes when it changed. */
  settingsFile?: OutputFile;
  /** Called once the run is known to publish, before anything is written. */
  beforePublish?: (summary: RepoSummary) => Promise<void>;
}

const MALFORMED = "repodata/malformed_list.txt";

/** What the repository currently publishes. */
interface PublishedRpm {
  repomd?: Repomd;
  /** repomd.xml as published, for its signature check. */
  repomdBytes?: Uint8Array;
  etag?: string;
  /** Records from primary.xml, by location (file lists and changelogs not merged yet). */
  packages: Map<string, RpmPackage>;
  /** Merges filelists and other into `packages` (needed only when something is rewritten). */
  complete: () => Promise<void>;
}

const xzHook = {
  decompress: (s: ReadableStream<Uint8Array>, format: "xz" | "bzip2") =>
    decompress(s, format === "xz" ? "xz" : "none", {
      key: REPOMD,
      name: format,
      maxOutput: 8 * 2 ** 30,
    }),
};

async function readPublished(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  events: RunEvents,
): Promise<PublishedRpm> {
  const out: PublishedRpm = { packages: new Map(), complete: () => Promise.resolve() };
  if (!byKey.has(REPOMD)) return out;
  out.etag = byKey.get(REPOMD)!.etag;
  out.repomdBytes = await readAll(storage, REPOMD);
  out.repomd = readRepomd(new TextDecoder().decode(out.repomdBytes), {
    key: storage.describe(REPOMD),
  });
  if (!hasCompleteRepodata(out.repomd.records)) {
    events.info(
      "The published repodata lacks primary, filelists or other: every package is read again",
    );
    return out;
  }
  const open = async (type: string) => {
    const rec = out.repomd!.records.find((r) => r.type === type)!;
    const key = rec.location.href;
    if (!byKey.has(key)) return undefined;
    return { key, stream: await storage.read(key) };
  };
  const primary = await open("primary");
  if (!primary) return out;
  const packages = await readRepodata({ primary }, xzHook);
  for (const p of packages) out.packages.set(p.location.href, p);
  out.complete = async () => {
    await mergeRepodata(packages, {
      filelists: await open("filelists"),
      other: await open("other"),
    }, xzHook);
  };
  return out;
}

/** Updates (or creates) the RPM repository in `storage`; returns the run's summary. */
export async function updateRpmRepository(
  storage: Storage,
  options: RpmUpdateOptions,
): Promise<RepoSummary> {
  const events = options.events;
  const objects = options.objects ?? (await Array.fromAsync(storage.list("")));
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const published = await readPublished(storage, byKey, events);
  const summary = newSummary(options.path, "rpm", options.dryRun ?? false);

  // Plan: unchanged when location, size and file time (whole seconds, as repodata keeps it) match.
  let packages: RpmPackage[] = [];
  const toRead: ObjectInfo[] = [];
  const cleanup = options.cleanup ?? emptyCleanupRecord();
  const pending = new Map(cleanup.packages);
  for (const o of objects) {
    if (!o.key.startsWith("Packages/") || !o.key.endsWith(".rpm")) continue;
    if (isPending(pending, o)) continue; // out of the index until the grace deletes it
    pending.delete(o.key); // uploaded again since it left the index: indexed again
    const old = published.packages.get(o.key);
    if (old && old.size.package === o.size && old.time.file === Math.floor(o.mtime / 1000)) {
      packages.push(old);
      events.detail(`Skipping: ${o.key}`);
    } else {
      toRead.push(o);
      (old ? summary.changedKeys : summary.addedKeys).push(o.key);
    }
  }
  for (const key of published.packages.keys()) {
    if (!byKey.has(key) || pending.has(key)) summary.removedKeys.push(key);
  }

  const { records } = await readChanged<RpmPackage>(storage, toRead, {
    events,
    summary,
    concurrency: options.concurrency,
    force: options.force,
    readCache: options.readCache,
    read: async (o) =>
      readRpm(await readSource(storage, o.key), { key: o.key, mtime: o.mtime, etag: o.etag }),
  });
  packages.push(...records);
  const drops = dropRpms(packages, pending, { options, byKey, summary, cleanup });
  packages = packages.filter((p) => !drops.has(p.key));
  packages.sort(compareRpmPackages);
  summary.packages = packages.length;
  const cleanupContext = (entries: EntryEtag[], namedBefore: ReadonlySet<string>) => ({
    record: cleanup,
    namedBefore,
    graceSeconds: options.graceSeconds,
    packages: {
      pending,
      named: new Set(packages.map((p) => p.key)),
      existing: new Map(
        objects.filter((o) => o.key.startsWith("Packages/")).map((o) => [o.key, o.mtime]),
      ),
    },
    entries,
  });

  // Nothing new, changed or gone, and the published state is what this run would write:
  // decided from primary alone, before reading filelists/other or encoding anything.
  const compression = options.compression ?? "gzip";
  const old = published.repomd ? splitRecords(published.repomd.records) : undefined;
  const malformedOk = summary.malformed.length === 0 && !byKey.has(MALFORMED);
  // The signature is checked against the bytes it signs: a crash or a lost answer between
  // repomd.xml and its signature is repaired by the next run, not called up to date.
  const signedOk = async () =>
    published.repomdBytes !== undefined &&
    await detachedSignatureFlaw(storage, byKey, REPOMD, published.repomdBytes, options.signer) ===
      undefined;
  const keyFile = await publicKeyFile(storage, byKey, options.signer, options.publicKeyName);
  const sameFiles = old?.produced.length === 3 &&
    old.produced.every((r) =>
      r.location.href.endsWith(`.xml${compressionSuffix[compression]}`) &&
      byKey.has(r.location.href)
    );
  if (
    old && sameFiles && toRead.length === 0 && summary.removedKeys.length === 0 &&
    drops.size === 0 && malformedOk &&
    !keyFile && !options.settingsFile && old.derived.length === 0 && await signedOk()
  ) {
    return await upToDate(storage, byKey, published, summary, options, cleanupContext);
  }
  await published.complete();

  // Metadata files: content-addressed, so an unchanged package set gives the same names.
  const files = [];
  for (const type of ["primary", "filelists", "other"] as const) {
    files.push(await writeMetadataFile(type, packages, { compression }));
  }
  const date = options.date ?? new Date();
  const timestamp = Math.floor(date.getTime() / 1000);
  const oldHrefs = new Set(old?.produced.map((r) => r.location.href));
  if (
    old && files.every((f) => oldHrefs.has(f.key) && byKey.has(f.key)) && malformedOk &&
    !keyFile && !options.settingsFile && old.derived.length === 0 && await signedOk()
  ) {
    return await upToDate(storage, byKey, published, summary, options, cleanupContext);
  }

  const produced = files.map((f) => {
    const previous = old?.produced.find((r) => r.location.href === f.key);
    return previous ?? metadataRecord(f, timestamp);
  });
  const kept: RepomdRecord[] = old?.kept ?? [];
  const repomd = writeRepomd({
    revision: String(timestamp),
    records: [...produced, ...kept],
    extras: published.repomd?.extras,
  });

  const plan = emptyPlan();
  const namedNow = new Set(published.repomd?.records.map((r) => r.location.href));
  for (const f of files) {
    // Written again when only an older generation names it: it may be due for cleanup.
    if (!byKey.has(f.key) || !namedNow.has(f.key)) {
      plan.content.push({
        key: f.key,
        data: f.data,
        contentType: f.contentType,
        cacheControl: CACHE_IMMUTABLE,
      });
    }
  }
  if (keyFile) plan.shared.push(keyFile);
  if (options.settingsFile) plan.shared.push(options.settingsFile);
  const restore = (key: string) => restoreFor(storage, byKey, key);
  const unit: PublishUnit = {
    entry: {
      key: REPOMD,
      data: repomd,
      contentType: "application/xml",
      cacheControl: CACHE_ENTRY,
      restore: await restore(REPOMD),
    },
    condition: { etag: published.etag },
    indexes: [],
    entryPoints: [],
  };
  plan.units.push(unit);
  await planMalformedList(unit.indexes, plan.remove, MALFORMED, summary.malformed, restore);
  if (options.signer) {
    unit.entryPoints.push({
      key: REPOMD + ".asc",
      data: await options.signer.detachSign(repomd),
      contentType: "application/pgp-signature",
      cacheControl: CACHE_ENTRY,
      restore: await restore(REPOMD + ".asc"),
    });
  } else if (byKey.has(REPOMD + ".asc")) plan.remove.push(REPOMD + ".asc");

  // What the new repomd.xml does not name is cleaned up after the grace period.
  const named = [...produced, ...kept].map((r) => r.location.href);
  planCleanup(plan, unreferencedOf(byKey, named, plan.remove), cleanupContext([], namedNow));

  await options.beforePublish?.(summary);
  const result = await publishRun(storage, plan, {
    events,
    dryRun: options.dryRun,
    publicRead: options.publicRead,
  });
  summary.written = result.written;
  summary.deleted = result.removed;
  return summary;
}

/**
 * Keys under repodata/ that `named` (the files of the repomd.xml published once the run is
 * done) does not name, apart from repodata's own entry points and files being removed anyway.
 */
function unreferencedOf(
  byKey: ReadonlyMap<string, ObjectInfo>,
  named: readonly string[],
  removing: readonly string[],
): string[] {
  const keep = new Set([
    ...named,
    REPOMD,
    REPOMD + ".asc",
    MALFORMED,
    ...removing,
  ]);
  return [...byKey.keys()].filter((k) => k.startsWith("repodata/") && !keep.has(k));
}

/**
 * Ends a run that has nothing to publish: the published generation is whole and current. Only
 * the cleanup of unreferenced files may remain.
 */
async function upToDate(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  published: PublishedRpm,
  summary: RepoSummary,
  options: RpmUpdateOptions,
  cleanupContext: (entries: EntryEtag[], namedBefore: ReadonlySet<string>) => CleanupContext,
): Promise<RepoSummary> {
  const plan = emptyPlan();
  const named = (published.repomd?.records ?? []).map((r) => r.location.href);
  const unreferenced = unreferencedOf(byKey, named, []);
  const entries = [{ key: REPOMD, etag: published.etag }];
  planCleanup(plan, unreferenced, cleanupContext(entries, new Set(named)));
  if (!isEmptyPlan(plan)) {
    const result = await publishRun(storage, plan, {
      events: options.events,
      dryRun: options.dryRun,
      publicRead: options.publicRead,
    });
    summary.written = result.written;
    summary.deleted = result.removed;
  }
  summary.upToDate = true;
  options.events.info(`${options.path}: up to date (${plural(summary.packages, "package")})`);
  return summary;
}
