/**
 * Deleting what no index names, safely for clients. A file that the published generation no
 * longer names (an older generation's index or by-hash copy, a leftover of another tool or of a
 * crashed run) may still be needed by a client holding an older index: it is deleted only once
 * it has been unreferenced for the grace period. When each file was first seen unreferenced is
 * recorded in the repository itself (`mkrepo-cleanup.json`), since the next run may be on
 * another machine. The record is advisory: losing an update of it (two racing runs) only
 * restarts a file's grace period.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { CACHE_INDEX, type OutputFile } from "./publisher.ts";

/** Key of the record of unreferenced files, relative to the repository root. */
export const CLEANUP_KEY = "mkrepo-cleanup.json";

/** Grace period when none is recorded or given: one hour. */
export const DEFAULT_GRACE_SECONDS = 3600;

/** Unreferenced files and when each was first seen so (ms since the epoch), by key. */
export type Unreferenced = Map<string, number>;

/** Parses the record; `where` names it in errors. */
export function parseUnreferenced(text: string, where: string): Unreferenced {
  const fail = (reason: string) =>
    new MkrepoError({
      code: "malformed-index",
      key: where,
      action: "read cleanup record",
      reason,
      hint: "delete the file: the next run starts every grace period again",
    });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw fail(`it is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const files = (v as { unreferenced?: unknown })?.unreferenced;
  if (!files || typeof files !== "object" || Array.isArray(files)) {
    throw fail(`it has no "unreferenced" object`);
  }
  const out: Unreferenced = new Map();
  for (const [key, since] of Object.entries(files)) {
    const ms = typeof since === "string" ? Date.parse(since) : NaN;
    if (!Number.isFinite(ms)) throw fail(`"${key}" has no valid time`);
    out.set(key, ms);
  }
  return out;
}

/** The record's text: stable (keys sorted), times in ISO 8601. */
export function unreferencedText(files: Unreferenced): string {
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(
    {
      about: "Files no index names any more, and since when; mkrepo deletes each after the " +
        "grace period (see mkrepo's docs/guide.md)",
      unreferenced: Object.fromEntries(sorted.map(([k, ms]) => [k, new Date(ms).toISOString()])),
    },
    null,
    2,
  ) + "\n";
}

/** What to do about the unreferenced files of a run. */
export interface CleanupDecision {
  /** Keys whose grace period is over: delete them. */
  expired: string[];
  /** The record to publish, when it changes and is not empty. */
  file?: OutputFile;
  /** True when the record exists and would be empty: remove it. */
  removeRecord?: boolean;
}

/**
 * Decides, from the files no index names once this run is done, and the record so far, which
 * to delete now and what the record becomes. A file the published generation still names (it
 * stops being named by this run's publication), or one seen unreferenced for the first time,
 * starts its grace period now; a file named again leaves the record.
 */
export function decideCleanup(
  unreferenced: Iterable<string>,
  recorded: { files: Unreferenced; text?: string },
  now: number,
  graceSeconds: number,
  namedBefore: ReadonlySet<string> = new Set(),
): CleanupDecision {
  const next: Unreferenced = new Map();
  const expired: string[] = [];
  for (const key of unreferenced) {
    const since = namedBefore.has(key) ? now : recorded.files.get(key) ?? now;
    if (now - since >= graceSeconds * 1000) expired.push(key);
    else next.set(key, since);
  }
  const text = next.size > 0 ? unreferencedText(next) : undefined;
  if (text === recorded.text) return { expired };
  if (text === undefined) return { expired, removeRecord: true };
  return {
    expired,
    file: {
      key: CLEANUP_KEY,
      data: text,
      contentType: "application/json",
      cacheControl: CACHE_INDEX,
      restore: recorded.text !== undefined
        ? { kind: "bytes", data: recorded.text }
        : { kind: "remove" },
    },
  };
}
