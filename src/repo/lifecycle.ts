/**
 * Records what the package lifecycle (plan/lifecycle.ts) took out of a run: pending since now,
 * reported, and out of the summary's added and changed packages. Shared by both updaters.
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";
import type { PendingPackage, PendingPackages } from "../record/cleanup_record.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";

/**
 * Records the drops as pending (since now, with their files' modification times), reports
 * them, and takes them out of the summary's added and changed packages. `files` gives the
 * files of a dropped package (a .dsc and those it lists; else the key itself).
 */
export function recordDrops(
  drops: ReadonlyMap<string, PendingPackage["reason"]>,
  pending: PendingPackages,
  context: {
    byKey: ReadonlyMap<string, ObjectInfo>;
    now: number;
    summary: RepoSummary;
    events: RunEvents;
    files?: (key: string) => string[];
  },
): void {
  const { summary, events } = context;
  for (const [key, reason] of drops) {
    for (const file of context.files?.(key) ?? [key]) {
      const o = context.byKey.get(file);
      if (o) pending.set(file, { since: context.now, mtime: o.mtime, reason });
    }
    summary.droppedKeys.push(key);
    events.info(
      `${summary.dryRun ? "Would drop" : "Dropping"}: ${key} (${reason}; ` +
        "deleted after the grace period)",
    );
  }
  summary.addedKeys = summary.addedKeys.filter((k) => !drops.has(k));
  summary.changedKeys = summary.changedKeys.filter((k) => !drops.has(k));
  summary.added = summary.addedKeys.length;
  summary.changed = summary.changedKeys.length;
  summary.dropped = summary.droppedKeys.length;
}
