/**
 * The Debian run whose inputs are those the published indexes were built from
 * (plan/deb_inputs.ts): no index is parsed. Each Release must still say what the run would
 * write (Origin, Label, Description, architectures) and the published generation must be whole
 * — every index file at its usual name holding what Release says, both by-hash copies present,
 * signatures verifying with the run's key — or the run falls back to reading every index. Only
 * the cleanup of unreferenced files may remain to publish.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import type { PublishedDist } from "../plan/published_deb.ts";
import type { CleanupRecord } from "../record/cleanup_record.ts";
import { sameRelease } from "../index/deb/release_file.ts";
import { debEntryFlaw, wholeIndexes } from "../publish/intact.ts";
import { generationKeys, unreferencedDists, untouchedEntries } from "../publish/deb_generation.ts";
import { emptyPlan, type PublishPlan } from "../publish/publish_plan.ts";
import { planCleanup } from "../publish/unreferenced.ts";
import { distMeta, type DistOptions } from "./deb_dist.ts";
import type { DebUpdateOptions } from "./update_deb.ts";

/** What the unchanged run checks and cleans up. */
export interface UnchangedContext {
  byKey: ReadonlyMap<string, ObjectInfo>;
  dists: ReadonlyMap<string, PublishedDist>;
  /** The Release fields and signing the run wants, its lifecycle and grace period. */
  options: DistOptions & Pick<DebUpdateOptions, "lifecycle" | "graceSeconds">;
  cleanup: CleanupRecord;
}

/**
 * The plan of an unchanged run (only the cleanup, possibly empty), or undefined when the run
 * must read the indexes: the published generation is not whole, or what the run decides
 * depends on more than its inputs — the clock (`--keep-days`), `mkrepo remove`, package files
 * pending deletion, malformed packages.
 */
export async function planUnchanged(
  storage: Storage,
  ctx: UnchangedContext,
): Promise<PublishPlan | undefined> {
  const { byKey, options } = ctx;
  const dists = [...ctx.dists.keys()];
  if (
    options.lifecycle?.remove?.length || options.lifecycle?.policy.keepDays !== undefined ||
    ctx.cleanup.packages.size > 0 || dists.some((d) => byKey.has(`dists/${d}/malformed_list.txt`))
  ) {
    return undefined;
  }
  const named = new Set<string>();
  for (const [dist, { release }] of ctx.dists) {
    const base = `dists/${dist}/`;
    // The fields the run would write (architectures and components as published: the same
    // inputs use the same ones), then the files and signatures.
    const meta = distMeta(dist, options, release, release, new Set(release.components));
    const entries = [...release.entries].map(([path, checksums]) => ({ path, checksums }));
    if (!sameRelease(release, meta, entries)) return undefined;
    const whole = await wholeIndexes(storage, byKey, base, release);
    if (whole.size !== release.entries.size) return undefined;
    const flaw = await debEntryFlaw(storage, byKey, base, options.signer);
    if (flaw !== undefined) return undefined;
    generationKeys(base, release.entries, named);
  }
  const plan = emptyPlan();
  planCleanup(plan, unreferencedDists(byKey, named, []), {
    record: ctx.cleanup,
    namedBefore: named,
    graceSeconds: options.graceSeconds,
    // No package file is pending (else the run reads the indexes).
    packages: { pending: new Map(), named: new Set(), existing: new Map() },
    entries: untouchedEntries(ctx.dists.keys(), byKey, plan),
  });
  return plan;
}
