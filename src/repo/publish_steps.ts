/**
 * Publish-plan steps shared by the Debian and RPM updaters: how to undo a replaced file, the
 * malformed_list.txt entry, the cleanup of unreferenced files and pending package files, and
 * running the publisher with progress messages and cleanup warnings.
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import { publish } from "../publish/publisher.ts";
import {
  CACHE_INDEX,
  type EntryEtag,
  type OutputFile,
  type PublishPlan,
  type Restore,
} from "../publish/publish_plan.ts";
import type { RunEvents } from "./run_types.ts";
import {
  decideCleanup,
  DEFAULT_GRACE_SECONDS,
  type PackageCleanup,
} from "../publish/unreferenced.ts";
import {
  CLEANUP_KEY,
  type CleanupRecord,
  emptyCleanupRecord,
  parseCleanupRecord,
} from "../record/cleanup_record.ts";
import { escapeControl } from "../errors.ts";

/** How to put `key` back as it is now: its current bytes, or remove it if it does not exist. */
export async function restoreFor(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  key: string,
): Promise<Restore> {
  return byKey.has(key) ? { kind: "bytes", data: await readAll(storage, key) } : { kind: "remove" };
}

/**
 * Plans malformed_list.txt (as the original mkrepo): written with the other indexes when
 * packages were skipped, else removed if present. One key a line, control characters escaped so
 * a key never spans two lines.
 */
export async function planMalformedList(
  indexes: OutputFile[],
  remove: string[],
  key: string,
  malformed: readonly string[],
  restoreFor: (key: string) => Promise<Restore>,
): Promise<void> {
  const restore = await restoreFor(key);
  if (malformed.length > 0) {
    indexes.push({
      key,
      data: malformed.map(escapeControl).join("\n") + "\n",
      contentType: "text/plain; charset=utf-8",
      cacheControl: CACHE_INDEX,
      restore,
    });
  } else if (restore.kind !== "remove") remove.push(key);
}

/** Options of publishRun(). */
export interface PublishRunOptions {
  events: RunEvents;
  dryRun?: boolean;
  publicRead?: boolean;
}

/** Publishes a plan, reporting each step (the plan itself with --dry-run). */
export async function publishRun(
  storage: Storage,
  plan: PublishPlan,
  options: PublishRunOptions,
): Promise<{ written: string[]; removed: string[] }> {
  const { events, dryRun } = options;
  return await publish(storage, plan, {
    dryRun,
    publicRead: options.publicRead,
    onWrite: (key, action) => {
      if (dryRun) events.info(`would ${action} ${key}`);
      else events.detail(`${action === "write" ? "Writing" : "Removing"}: ${key}`);
    },
    onCleanupError: (key, err) =>
      events.warn(
        `could not remove ${storage.describe(key)}, which the repository no longer uses ` +
          `(the next run removes it): ${err instanceof Error ? err.message : String(err)}`,
      ),
  });
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
