/**
 * Updates an RPM repository: listing → plan against the published repodata (location, size,
 * file time) → read only new and changed rpms → primary/filelists/other (checksum-named) →
 * repomd.xml (records mkrepo does not produce are kept) → signature → publish in the safe
 * order. The only module that knows this whole order for RPM.
 * @module
 */
import { type ObjectInfo, readSource, type Storage } from "../storage/storage.ts";
import type { RpmPackage } from "../record/rpm_package.ts";
import { compareRpmPackages } from "../record/rpm_package.ts";
import { readRpm } from "../reader/rpm/read_rpm.ts";
import { compressionSuffix } from "../util/compression.ts";
import { REPOMD } from "../index/rpm/repomd_xml.ts";
import {
  type MetadataCompression,
  type MetadataFile,
  writeMetadataFile,
} from "../index/rpm/metadata_file.ts";
import { emptyPlan, type EntryEtag, type OutputFile } from "../publish/publish_plan.ts";
import {
  planRpmGeneration,
  repodataCurrent,
  type RpmGeneration,
  unreferencedRepodata,
} from "../publish/rpm_generation.ts";
import { planCleanup } from "../publish/unreferenced.ts";
import { publicKeyFile } from "../publish/plan_files.ts";
import type { Signer } from "../sign/signer.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";
import { newSummary, type ReadCache, readChanged } from "./read_changed.ts";
import { finishRun } from "./publish_run.ts";
import { type CleanupRecord, emptyCleanupRecord } from "../record/cleanup_record.ts";
import type { LifecycleOptions } from "../plan/lifecycle.ts";
import { planPackages } from "../plan/package_plan.ts";
import { readPublishedRpm, rpmRecordCurrent } from "../plan/published_rpm.ts";
import type { PublishedRpmPackage } from "../index/rpm/published_package.ts";
import { dropRpms } from "./rpm_lifecycle.ts";

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

/** Updates (or creates) the RPM repository in `storage`; returns the run's summary. */
export async function updateRpmRepository(
  storage: Storage,
  options: RpmUpdateOptions,
): Promise<RepoSummary> {
  const events = options.events;
  const objects = options.objects ?? (await Array.fromAsync(storage.list("")));
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const published = await readPublishedRpm(storage, byKey);
  if (published.incomplete) {
    events.info(
      "The published repodata lacks primary, filelists or other: every package is read again",
    );
  }
  const summary = newSummary(options.path, "rpm", options.dryRun ?? false);

  // Plan: unchanged when location, size and file time (whole seconds) match.
  const cleanup = options.cleanup ?? emptyCleanupRecord();
  const planned = planPackages({
    objects,
    isPackage: (key) => key.startsWith("Packages/") && key.endsWith(".rpm"),
    published: published.packages,
    current: rpmRecordCurrent,
    pending: cleanup.packages,
  });
  const { toRead, pending } = planned;
  summary.addedKeys = planned.added;
  summary.changedKeys = planned.changed;
  summary.removedKeys = planned.removed;
  let packages: (RpmPackage | PublishedRpmPackage)[] = planned.kept;
  for (const p of packages) events.detail(`Skipping: ${p.key}`);

  const { records } = await readChanged<RpmPackage>(storage, toRead, {
    events,
    summary,
    concurrency: options.concurrency,
    force: options.force,
    readCache: options.readCache,
    read: async (o) =>
      readRpm(await readSource(storage, o.key, { size: o.size }), {
        key: o.key,
        mtime: o.mtime,
        etag: o.etag,
      }),
  });
  packages.push(...records);
  const drops = dropRpms(packages, pending, { options, byKey, summary, cleanup });
  packages = packages.filter((p) => !drops.has(p.key));
  packages.sort(compareRpmPackages);
  summary.packages = packages.length;
  // Asked only of pending package files (usually none): built when first asked.
  let packageKeys: Set<string> | undefined;
  const cleanupContext = (entries: EntryEtag[], namedBefore: ReadonlySet<string>) => ({
    record: cleanup,
    namedBefore,
    graceSeconds: options.graceSeconds,
    packages: {
      pending,
      named: {
        has: (key: string) => (packageKeys ??= new Set(packages.map((p) => p.key))).has(key),
      },
      existing: { has: (key: string) => key.startsWith("Packages/") && byKey.has(key) },
    },
    entries,
  });
  const generation: RpmGeneration = {
    storage,
    byKey,
    published: published.repomd && {
      repomd: published.repomd,
      bytes: published.repomdBytes!,
      etag: published.etag,
    },
    malformed: summary.malformed,
    signer: options.signer,
  };
  const keyFile = await publicKeyFile(storage, byKey, options.signer, options.publicKeyName);
  // Nothing to publish: only the cleanup of unreferenced files may remain.
  const upToDate = () => {
    const plan = emptyPlan();
    const named = (published.repomd?.records ?? []).map((r) => r.location.href);
    const entries = [{ key: REPOMD, etag: published.etag }];
    planCleanup(
      plan,
      unreferencedRepodata(byKey, named, []),
      cleanupContext(entries, new Set(named)),
    );
    summary.upToDate = true;
    return finishRun(storage, plan, summary, options);
  };

  // Nothing new, changed or gone, and the published state is what this run would write:
  // decided from primary alone, before reading filelists/other or encoding anything.
  const compression = options.compression ?? "gzip";
  const suffix = `.xml${compressionSuffix[compression]}`;
  // A key or settings file to publish goes with a new repomd.xml.
  const nothingShared = !keyFile && !options.settingsFile;
  const unchanged = toRead.length === 0 && summary.removedKeys.length === 0 && drops.size === 0;
  if (
    nothingShared && unchanged &&
    await repodataCurrent(
      generation,
      (p) => p.length === 3 && p.every((r) => r.location.href.endsWith(suffix)),
    )
  ) {
    return await upToDate();
  }
  await published.complete();

  // Metadata files: content-addressed, so an unchanged package set gives the same names.
  const files: MetadataFile[] = [];
  for (const type of ["primary", "filelists", "other"] as const) {
    files.push(await writeMetadataFile(type, packages, { compression }));
  }
  if (
    nothingShared &&
    await repodataCurrent(
      generation,
      (p) => files.every((f) => p.some((r) => r.location.href === f.key)),
    )
  ) {
    return await upToDate();
  }

  const plan = emptyPlan();
  if (keyFile) plan.shared.push(keyFile);
  if (options.settingsFile) plan.shared.push(options.settingsFile);
  const named = await planRpmGeneration(plan, generation, files, options.date ?? new Date());
  // What the new repomd.xml does not name is cleaned up after the grace period.
  const namedNow = new Set(published.repomd?.records.map((r) => r.location.href));
  planCleanup(plan, unreferencedRepodata(byKey, named, plan.remove), cleanupContext([], namedNow));

  return await finishRun(storage, plan, summary, options);
}
