/**
 * Package lifecycle of one run, shared by the Debian and RPM updaters: which package files are
 * pending deletion (left out of the index until the grace period deletes them), which ones the
 * run takes out of the index — named by `mkrepo remove`, or dropped by retention (`--keep`,
 * `--keep-days`) — and the pending record that follows.
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import { retentionDrops, type RetentionItem, type RetentionPolicy } from "../plan/retention.ts";
import type { RemovePattern } from "../plan/remove_patterns.ts";
import {
  notUploadedAgain,
  type PendingPackage,
  type PendingPackages,
} from "../publish/unreferenced.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";

/** What a run asks of the lifecycle. */
export interface LifecycleOptions {
  /** Retention, as recorded in the settings (nothing set: keep everything). */
  policy: RetentionPolicy;
  /** `mkrepo remove` patterns: packages they match leave the index. */
  remove?: readonly RemovePattern[];
}

/** A package as the lifecycle sees it: retention's view plus its name, for patterns. */
export interface LifecycleItem extends RetentionItem {
  name: string;
}

/**
 * True when `object` is a package file pending deletion and was not uploaded again since it
 * left the index (same modification time, to the second): it stays out of the index.
 */
export function isPending(pending: PendingPackages, object: ObjectInfo): boolean {
  const p = pending.get(object.key);
  return p !== undefined && notUploadedAgain(p, object.mtime);
}

/**
 * The packages this run takes out of the index, by key, with the reason: those `remove` names
 * first, then retention's drops among the others. Throws, before anything is written, when a
 * pattern names neither a package nor a pending file.
 */
export function lifecycleDrops(
  items: readonly LifecycleItem[],
  options: LifecycleOptions,
  context: {
    compare: (a: string, b: string) => number;
    now: number;
    pending: PendingPackages;
    path: string;
  },
): Map<string, PendingPackage["reason"]> {
  const drops = new Map<string, PendingPackage["reason"]>();
  const patterns = options.remove ?? [];
  for (const pattern of patterns) {
    const named = items.filter((i) => pattern.matches(i));
    const pendingMatch = [...context.pending.keys()].some((key) => pattern.matches({ key }));
    if (named.length === 0 && !pendingMatch) {
      throw new MkrepoError({
        code: "not-found",
        key: context.path,
        action: "remove packages from",
        reason: `"${pattern.text}" matches no package name, file name or key (nothing was written)`,
        hint: "list the indexed packages with apt-cache/dnf, or `mkrepo remove --dry-run`; " +
          "quote globs so the shell leaves them alone",
      });
    }
    named.forEach((i) => drops.set(i.key, "removed"));
  }
  const rest = items.filter((i) => !drops.has(i.key));
  for (const key of retentionDrops(rest, options.policy, context.compare, context.now)) {
    drops.set(key, "retention");
  }
  return drops;
}

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
