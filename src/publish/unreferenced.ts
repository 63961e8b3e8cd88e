/**
 * Deleting what no index names, safely for clients. A file that the published generation no
 * longer names (an older generation's index or by-hash copy, a leftover of another tool or of a
 * crashed run) may still be needed by a client holding an older index: it is deleted only once
 * it has been unreferenced for the grace period. The same holds for package files that
 * retention or `mkrepo remove` took out of the index ("pending" package files). When each file
 * was first seen unreferenced is recorded in the repository itself (`mkrepo-cleanup.json`),
 * since the next run may be on another machine. For metadata the record is advisory: losing an
 * update of it (two racing runs) only restarts a file's grace period. The record itself is
 * record/cleanup_record.ts; this module decides what it becomes (decideCleanup) and adds the
 * deletions to a run's plan (planCleanup).
 * @module
 */
import { CACHE_INDEX, type EntryEtag, type OutputFile, type PublishPlan } from "./publish_plan.ts";
import {
  CLEANUP_KEY,
  type CleanupRecord,
  cleanupRecordText,
  emptyCleanupRecord,
  parseCleanupRecord,
  type PendingPackages,
  type Unreferenced,
} from "../record/cleanup_record.ts";
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";

/** Grace period when none is recorded or given: one hour. */
export const DEFAULT_GRACE_SECONDS = 3600;

/**
 * Membership of a key in a set the run holds anyway (a Set, a Map's keys, a test on them): the
 * cleanup asks only of pending package files, so the run does not copy every key it has into a
 * new Set (50,000 packages: ~9 MiB of heap at the run's peak).
 */
export interface KeyLookup {
  has(key: string): boolean;
}

/** What the run knows about package files for the cleanup. */
export interface PackageCleanup {
  /** Pending package files once this run is done (recorded ones still waiting, new ones). */
  pending: PendingPackages;
  /** Every package file an index of the generation published by this run names. */
  named: KeyLookup;
  /** The package files that exist now. */
  existing: KeyLookup;
}

/** What to do about the unreferenced files of a run. */
export interface CleanupDecision {
  /** Metadata keys whose grace period is over: delete them. */
  expired: string[];
  /** Package files whose grace period is over, with the mtime they must still have. */
  expiredPackages: { key: string; mtime: number }[];
  /** The record to publish, when it changes and is not empty. */
  file?: OutputFile;
  /** True when the record exists and would be empty: remove it. */
  removeRecord?: boolean;
}

/**
 * Decides, from the files no index names once this run is done, and the record so far, which
 * to delete now and what the record becomes. A file the published generation still names (it
 * stops being named by this run's publication), or one seen unreferenced for the first time,
 * starts its grace period now; a file named again leaves the record. A pending package file
 * whose grace is over is deleted unless an index of the new generation names it; it leaves the
 * record once it is gone, or named again.
 */
export function decideCleanup(
  unreferenced: Iterable<string>,
  recorded: CleanupRecord,
  now: number,
  options: {
    graceSeconds: number;
    namedBefore?: ReadonlySet<string>;
    packages?: PackageCleanup;
  },
): CleanupDecision {
  const grace = options.graceSeconds * 1000;
  const next: Unreferenced = new Map();
  const expired: string[] = [];
  for (const key of unreferenced) {
    const since = options.namedBefore?.has(key) ? now : recorded.unreferenced.get(key) ?? now;
    if (now - since >= grace) expired.push(key);
    else next.set(key, since);
  }
  const pending: PendingPackages = new Map();
  const expiredPackages: { key: string; mtime: number }[] = [];
  const p = options.packages;
  for (const [key, entry] of p?.pending ?? recorded.packages) {
    if (p && (p.named.has(key) || !p.existing.has(key))) continue;
    // Kept in the record until a later run finds the file gone: if this run's deletion is
    // skipped (another run published meanwhile), the file must not go back into an index.
    if (p && now - entry.since >= grace) expiredPackages.push({ key, mtime: entry.mtime });
    pending.set(key, entry);
  }
  const text = cleanupRecordText(next, pending);
  const decision: CleanupDecision = { expired, expiredPackages };
  if (text === recorded.text) return decision;
  if (text === undefined) return { ...decision, removeRecord: true };
  decision.file = {
    key: CLEANUP_KEY,
    data: text,
    contentType: "application/json",
    cacheControl: CACHE_INDEX,
    restore: recorded.text !== undefined
      ? { kind: "bytes", data: recorded.text }
      : { kind: "remove" },
    // Pending package files must not be lost to a racing run's older record: a record changed
    // since this run listed makes the run start over from it.
    ifUnchanged: { etag: recorded.etag },
  };
  return decision;
}

/** What planCleanup() needs beyond the unreferenced metadata. */
export interface CleanupContext {
  /** The cleanup record read at the start of the run. */
  record: CleanupRecord;
  /** Keys the generation published before the run names (their grace starts now). */
  namedBefore: ReadonlySet<string>;
  graceSeconds?: number;
  /** Package files: pending ones, those the new generation names, those that exist. */
  packages: PackageCleanup;
  /** Entry points of units this run does not publish, with their listed etags. */
  entries: EntryEtag[];
}

/**
 * Adds the cleanup to a plan: `unreferenced` are the keys (under `dists/` or `repodata/`) that
 * the generation published once this run is done does not name. Those unreferenced for the
 * grace period are deleted, and so are pending package files past it; the others are recorded.
 */
export function planCleanup(
  plan: PublishPlan,
  unreferenced: Iterable<string>,
  context: CleanupContext,
): void {
  const now = Date.now();
  const graceSeconds = context.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const decision = decideCleanup(unreferenced, context.record, now, {
    graceSeconds,
    namedBefore: context.namedBefore,
    packages: context.packages,
  });
  if (decision.file) plan.shared.push(decision.file);
  if (decision.removeRecord) plan.remove.push(CLEANUP_KEY);
  if (decision.expired.length > 0) {
    plan.expired = { keys: decision.expired, writtenBefore: now - graceSeconds * 1000 };
  }
  if (decision.expiredPackages.length > 0) {
    plan.expiredPackages = { files: decision.expiredPackages, entries: context.entries };
  }
}

/** The cleanup record of a repository (empty when it has none). */
export async function readCleanupRecord(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
): Promise<CleanupRecord> {
  if (!byKey.has(CLEANUP_KEY)) return emptyCleanupRecord();
  const text = new TextDecoder().decode(await readAll(storage, CLEANUP_KEY));
  return {
    ...parseCleanupRecord(text, storage.describe(CLEANUP_KEY)),
    etag: byKey.get(CLEANUP_KEY)!.etag,
  };
}
