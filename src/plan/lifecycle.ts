/**
 * Which packages a run takes out of the index, for both formats: package files pending deletion
 * (left out until the grace period deletes them), those `mkrepo remove` names, and those
 * retention drops (`--keep`, `--keep-days`; retention.ts). Pure decisions; the caller records
 * and reports them.
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import { retentionDrops, type RetentionItem, type RetentionPolicy } from "./retention.ts";
import type { RemovePattern } from "./remove_patterns.ts";
import {
  notUploadedAgain,
  type PendingPackage,
  type PendingPackages,
} from "../record/cleanup_record.ts";

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
