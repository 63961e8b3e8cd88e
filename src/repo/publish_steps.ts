/**
 * Publish-plan steps shared by the Debian and RPM updaters: how to undo a replaced file, the
 * malformed_list.txt entry, and running the publisher with progress messages and cleanup
 * warnings.
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import {
  CACHE_INDEX,
  type EntryCondition,
  publish,
  type PublishPlan,
  type Restore,
} from "../publish/publisher.ts";
import type { RunEvents } from "./run_types.ts";
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
 * Plans malformed_list.txt (as the original mkrepo): written when packages were skipped, else
 * removed. One key a line, control characters escaped so a key never spans two lines.
 */
export async function planMalformedList(
  plan: PublishPlan,
  key: string,
  malformed: readonly string[],
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
): Promise<void> {
  if (malformed.length > 0) {
    plan.indexes.push({
      key,
      data: malformed.map(escapeControl).join("\n") + "\n",
      contentType: "text/plain; charset=utf-8",
      cacheControl: CACHE_INDEX,
      restore: await restoreFor(storage, byKey, key),
    });
  } else if (byKey.has(key)) plan.remove.push(key);
}

/** Options of publishRun(). */
export interface PublishRunOptions {
  events: RunEvents;
  dryRun?: boolean;
  publicRead?: boolean;
  condition?: EntryCondition;
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
    condition: options.condition,
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
