/**
 * Publish-plan steps shared by the Debian and RPM updaters: how to undo a replaced file, the
 * malformed_list.txt entry, and running the publisher with progress messages and cleanup
 * warnings.
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import {
  CACHE_INDEX,
  type OutputFile,
  publish,
  type PublishPlan,
  type Restore,
} from "../publish/publisher.ts";
import type { RunEvents } from "./run_types.ts";
import {
  CLEANUP_KEY,
  decideCleanup,
  DEFAULT_GRACE_SECONDS,
  parseUnreferenced,
} from "../publish/unreferenced.ts";
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

/**
 * Adds the cleanup of unreferenced files to a plan: `unreferenced` are the keys (under
 * `dists/` or `repodata/`) that the generation published once this run is done does not name;
 * `namedBefore`, those the generation published before the run names (their grace starts now).
 * Those unreferenced for the grace period are deleted; the others are recorded.
 */
export async function planCleanup(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  plan: PublishPlan,
  unreferenced: Iterable<string>,
  namedBefore: ReadonlySet<string>,
  graceSeconds = DEFAULT_GRACE_SECONDS,
): Promise<void> {
  const text = byKey.has(CLEANUP_KEY)
    ? new TextDecoder().decode(await readAll(storage, CLEANUP_KEY))
    : undefined;
  const files = text !== undefined
    ? parseUnreferenced(text, storage.describe(CLEANUP_KEY))
    : new Map<string, number>();
  const now = Date.now();
  const decision = decideCleanup(unreferenced, { files, text }, now, graceSeconds, namedBefore);
  if (decision.file) plan.shared.push(decision.file);
  if (decision.removeRecord) plan.remove.push(CLEANUP_KEY);
  if (decision.expired.length > 0) {
    plan.expired = { keys: decision.expired, writtenBefore: now - graceSeconds * 1000 };
  }
}
