/**
 * Deleting what no index names, safely for clients. A file that the published generation no
 * longer names (an older generation's index or by-hash copy, a leftover of another tool or of a
 * crashed run) may still be needed by a client holding an older index: it is deleted only once
 * it has been unreferenced for the grace period. The same holds for package files that
 * retention or `mkrepo remove` took out of the index ("pending" package files). When each file
 * was first seen unreferenced is recorded in the repository itself (`mkrepo-cleanup.json`),
 * since the next run may be on another machine. For metadata the record is advisory: losing an
 * update of it (two racing runs) only restarts a file's grace period.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { CACHE_INDEX, type OutputFile } from "./publish_plan.ts";

/** Key of the record of unreferenced files, relative to the repository root. */
export const CLEANUP_KEY = "mkrepo-cleanup.json";

/** Grace period when none is recorded or given: one hour. */
export const DEFAULT_GRACE_SECONDS = 3600;

/** Unreferenced files and when each was first seen so (ms since the epoch), by key. */
export type Unreferenced = Map<string, number>;

/** A package file taken out of the index, waiting for the grace period to end. */
export interface PendingPackage {
  /** When it left the index (ms since the epoch). */
  since: number;
  /** The file's modification time then (ms): another one means it was uploaded again. */
  mtime: number;
  /** Why it left: `retention` (--keep, --keep-days) or `removed` (mkrepo remove). */
  reason: "retention" | "removed";
}

/** Pending package files, by key. */
export type PendingPackages = Map<string, PendingPackage>;

/**
 * True when a file's modification time (ms) is still the one recorded when it left the index,
 * to the second (what every storage keeps): else it was uploaded again.
 */
export function notUploadedAgain(pending: Pick<PendingPackage, "mtime">, mtime: number): boolean {
  return Math.abs(pending.mtime - mtime) < 1000;
}

/** The cleanup record as read from the repository. */
export interface CleanupRecord {
  unreferenced: Unreferenced;
  packages: PendingPackages;
  /** The record's text as published (undefined: no record). */
  text?: string;
  /** Its etag when the run listed (the record is replaced only if it still has it). */
  etag?: string;
}

/** An empty record (a repository without mkrepo-cleanup.json). */
export function emptyCleanupRecord(): CleanupRecord {
  return { unreferenced: new Map(), packages: new Map() };
}

/** Parses the record; `where` names it in errors. */
export function parseCleanupRecord(text: string, where: string): CleanupRecord {
  const fail = (reason: string) =>
    new MkrepoError({
      code: "malformed-index",
      key: where,
      action: "read cleanup record",
      reason,
      hint: "delete the file: the next run starts every grace period again (package files it " +
        "lists as pending go back into the index unless retention drops them again)",
    });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw fail(`it is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const isObject = (x: unknown): x is Record<string, unknown> =>
    !!x && typeof x === "object" && !Array.isArray(x);
  const time = (key: string, x: unknown) => {
    const ms = typeof x === "string" ? Date.parse(x) : NaN;
    if (!Number.isFinite(ms)) throw fail(`"${key}" has no valid time`);
    return ms;
  };
  const files = (v as { unreferenced?: unknown })?.unreferenced;
  if (!isObject(files)) throw fail(`it has no "unreferenced" object`);
  const record: CleanupRecord = { unreferenced: new Map(), packages: new Map(), text };
  for (const [key, since] of Object.entries(files)) record.unreferenced.set(key, time(key, since));
  const packages = (v as { packages?: unknown }).packages ?? {};
  if (!isObject(packages)) throw fail(`"packages" is not an object`);
  for (const [key, p] of Object.entries(packages)) {
    if (!isObject(p)) throw fail(`"${key}" is not an object`);
    const reason = p.reason === "removed" ? "removed" : "retention";
    record.packages.set(key, { since: time(key, p.since), mtime: time(key, p.mtime), reason });
  }
  return record;
}

/** The record's text: stable (keys sorted), times in ISO 8601; undefined when it is empty. */
export function cleanupRecordText(
  unreferenced: Unreferenced,
  packages: PendingPackages,
): string | undefined {
  if (unreferenced.size === 0 && packages.size === 0) return undefined;
  const sorted = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const iso = (ms: number) => new Date(ms).toISOString();
  const out: Record<string, unknown> = {
    about: "Files no index names any more, and since when; mkrepo deletes each after the " +
      "grace period (see mkrepo's docs/guide.md)",
    unreferenced: Object.fromEntries(sorted(unreferenced).map(([k, ms]) => [k, iso(ms)])),
  };
  if (packages.size > 0) {
    out.packages = Object.fromEntries(
      sorted(packages).map((
        [k, p],
      ) => [k, { since: iso(p.since), mtime: iso(p.mtime), reason: p.reason }]),
    );
  }
  return JSON.stringify(out, null, 2) + "\n";
}

/** What the run knows about package files for the cleanup. */
export interface PackageCleanup {
  /** Pending package files once this run is done (recorded ones still waiting, new ones). */
  pending: PendingPackages;
  /** Every package file an index of the generation published by this run names. */
  named: ReadonlySet<string>;
  /** The package files that exist now, with their modification times (ms). */
  existing: ReadonlyMap<string, number>;
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
