/**
 * The cleanup record (`mkrepo-cleanup.json`): which files no index names and since when, and
 * which package files left the index and wait for their grace period. It lives in the
 * repository, since the next run may be on another machine; publish/unreferenced.ts decides
 * what it becomes and what is deleted.
 * @module
 */
import { MkrepoError } from "../errors.ts";

/** Key of the record of unreferenced files, relative to the repository root. */
export const CLEANUP_KEY = "mkrepo-cleanup.json";

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
