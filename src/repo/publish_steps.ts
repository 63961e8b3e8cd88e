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
 * packages were skipped, else removed if present.
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
      data: malformed.join("\n") + "\n",
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
