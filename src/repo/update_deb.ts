/**
 * Updates a Debian repository: listing → plan (what is new, changed, gone) → read only the new
 * packages → Packages/Sources per dist, component and architecture → Release → signatures →
 * publish in the safe order. The only module that knows this whole order for Debian.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import { debFileKind, type DebPackage, type DebSource } from "../record/deb_package.ts";
import { DEFAULT_DEB_HASHES, type HashName } from "../record/checksums.ts";
import { poolPlace, poolPlaceProblem, undeclaredComponentWarnings } from "../plan/pool_path.ts";
import { newSummary, type ReadCache, readChanged } from "./read_changed.ts";
import { finishRun } from "./publish_run.ts";
import { planCleanup } from "../publish/unreferenced.ts";
import { publicKeyFile } from "../publish/plan_files.ts";
import { readDebPackage } from "./read_deb_package.ts";
import { publishedParagraphs } from "./published_paragraphs.ts";
import { debRecordCurrent, readPublishedDeb, readPublishedDists } from "../plan/published_deb.ts";
import { debInputsDigest, readIndexInputs, sameInputs } from "../plan/deb_inputs.ts";
import { planUnchanged } from "./deb_unchanged.ts";
import { hashBytes } from "../util/multi_hasher.ts";
import { planPackages } from "../plan/package_plan.ts";
import { compactPackage } from "../index/deb/paragraphs.ts";
import { emptyPlan, isEmptyPlan, type OutputFile } from "../publish/publish_plan.ts";
import { indexInputsFile } from "../publish/plan_files.ts";
import { type CleanupRecord, emptyCleanupRecord } from "../record/cleanup_record.ts";
import type { LifecycleOptions } from "../plan/lifecycle.ts";
import { dropPackages, sourceFiles } from "./deb_lifecycle.ts";
import { unreferencedDists, untouchedEntries } from "../publish/deb_generation.ts";
import { planDist } from "./deb_dist.ts";
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
  /** How long a file no index names is kept before it is deleted (default one hour). */
  graceSeconds?: number;
  /** Records read by an earlier attempt of the same run (kept across conflict retries). */
  readCache?: ReadCache<DebPackage | DebSource>;
  /** Retention and `mkrepo remove` (nothing: every package stays). */
  lifecycle?: LifecycleOptions;
  /** The cleanup record read at the start of the run (pending package files among it). */
  cleanup?: CleanupRecord;
  /** The repository's settings file, published with the indexes when it changed. */
  settingsFile?: OutputFile;
  /** Called once the run is known to publish, before anything is written. */
  beforePublish?: (summary: RepoSummary) => Promise<void>;
}

/** Updates (or creates) the Debian repository in `storage`; returns the run's summary. */
export async function updateDebRepository(
  storage: Storage,
  options: DebUpdateOptions,
): Promise<RepoSummary> {
  const events = options.events;
  const hashes = options.hashes ?? [...DEFAULT_DEB_HASHES];
  const objects = options.objects ?? (await Array.fromAsync(storage.list("")));
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const publishedDists = await readPublishedDists(storage, byKey);

  // Declared components replace the published ones (the settings record them); without a
  // declaration, those published are recognised too.
  const components = new Set(options.components ?? ["main"]);
  if (!options.components) {
    for (const d of publishedDists.values()) d.release.components.forEach((c) => components.add(c));
  }
  undeclaredComponentWarnings(byKey.keys(), components).forEach((w) => events.warn(w));
  const summary = newSummary(options.path, "deb", options.dryRun ?? false);
  const cleanup = options.cleanup ?? emptyCleanupRecord();
  const keyFile = await publicKeyFile(storage, byKey, options.signer, options.publicKeyName);

  // The same inputs as the published indexes were built from: no index to parse.
  const inputsDigest = debInputsDigest(objects, {
    hashes,
    components: [...(options.components ?? ["main"])].sort(),
    signed: options.signer !== undefined,
    force: options.force ?? false,
    keep: options.lifecycle?.policy.keep,
  });
  const publishedInputs = await readIndexInputs(storage, byKey);
  if (
    !keyFile && !options.settingsFile &&
    sameInputs(publishedInputs?.inputs, publishedDists, inputsDigest)
  ) {
    const plan = await planUnchanged(storage, {
      byKey,
      dists: publishedDists,
      options,
      cleanup,
    });
    if (plan) {
      summary.packages = publishedInputs!.inputs!.packages;
      return await finishRun(storage, plan, summary, options);
    }
  }
  // Kept packages are held by place, not text: their paragraphs are read again when written.
  const published = await readPublishedDeb(storage, byKey, publishedDists, { byPlace: true });
  const paragraphs = publishedParagraphs(storage, byKey);

  // Plan: which pool files are unchanged, new, changed, gone.
  const now = Date.now();
  const planned = planPackages({
    objects,
    isPackage: (key) => key.startsWith("pool/") && debFileKind(key) !== undefined,
    published: published.records,
    current: (record, o) => debRecordCurrent(record, o, hashes),
    pending: cleanup.packages,
  });
  const { toRead, pending } = planned;
  summary.addedKeys = planned.added;
  summary.changedKeys = planned.changed;
  summary.removedKeys = planned.removed;
  const packages = new Map<string, DebPackage>();
  const sources = new Map<string, DebSource>();
  for (const r of planned.kept) {
    if ("files" in r) sources.set(r.key, r);
    else packages.set(r.key, r);
    events.detail(`Skipping: ${r.key}`);
  }

  // Read new and changed files, in parallel, results in listing order.
  const { records, malformed } = await readChanged<DebPackage | DebSource>(storage, toRead, {
    events,
    summary,
    concurrency: options.concurrency,
    force: options.force,
    readCache: options.readCache,
    // 50,000 packages' control fields cost far more memory than their formatted paragraphs.
    keep: (r) => ("files" in r ? r : compactPackage(r, hashes)),
    check: (o) => poolPlaceProblem(o.key, components),
    read: (o) => readDebPackage(storage, o, { hashes, byKey }),
  });
  for (const r of records) {
    if ("files" in r) sources.set(r.key, r);
    else packages.set(r.key, r);
  }
  dropPackages(packages, sources, pending, {
    options,
    components,
    byKey,
    summary,
    now,
    cleanup,
  });
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
  const plan = emptyPlan();
  const named = new Set<string>();
  const namedBefore = new Set<string>();
  const releases = new Map<string, string | undefined>();
  for (const dist of [...dists].sort()) {
    const release = await planDist(dist, {
      storage,
      options,
      hashes,
      components,
      packages: [...packages.values()].filter((p) => poolPlace(p.key, components).dist === dist),
      sources: [...sources.values()].filter((s) => poolPlace(s.key, components).dist === dist),
      published,
      paragraphs,
      byKey,
      malformed: malformedByDist.get(dist) ?? [],
      plan,
      named,
      namedBefore,
    });
    releases.set(
      dist,
      release === undefined
        ? published.dists.get(dist)?.releaseSha256
        : hashBytes(release, ["sha256"]).sha256,
    );
  }
  if (keyFile) plan.shared.push(keyFile);
  if (options.settingsFile) plan.shared.push(options.settingsFile);
  const sourceFileKeys = new Set([...sources.values()].flatMap(sourceFiles));
  planCleanup(plan, unreferencedDists(byKey, named, plan.remove), {
    record: cleanup,
    namedBefore,
    graceSeconds: options.graceSeconds,
    packages: {
      pending,
      named: { has: (key) => packages.has(key) || sourceFileKeys.has(key) },
      existing: { has: (key) => key.startsWith("pool/") && byKey.has(key) },
    },
    entries: untouchedEntries(published.dists.keys(), byKey, plan),
  });

  const inputsFile = indexInputsFile(
    { digest: inputsDigest, packages: summary.packages, releases },
    publishedInputs?.text,
  );
  if (inputsFile && !options.dryRun) {
    // Also when nothing else is published: the next unchanged run then reads no index.
    if (isEmptyPlan(plan)) summary.upToDate = true;
    plan.shared.push(inputsFile);
  }
  return await finishRun(storage, plan, summary, options);
}
