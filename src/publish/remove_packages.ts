/**
 * The last step of a publication: deleting package files whose grace period is over (retention
 * or `mkrepo remove` took them out of the index at least the grace period ago). Each is deleted
 * only while every entry point is still the one this run published or planned from — another
 * run that published since may name them — and only if it was not uploaded again meanwhile.
 * @module
 */
import type { Storage } from "../storage/storage.ts";
import type { EntryEtag, PublishOptions, PublishPlan } from "./publish_plan.ts";
import { notUploadedAgain } from "../record/cleanup_record.ts";

/**
 * Removes the expired package files of a plan. `published` are the entry points this run
 * wrote, with the etags of its own writes (undefined in dry-run mode).
 */
export async function removePackageFiles(
  storage: Storage,
  expired: NonNullable<PublishPlan["expiredPackages"]>,
  published: readonly EntryEtag[],
  options: PublishOptions,
): Promise<void> {
  const fail = (key: string, err: unknown) => {
    if (!options.onCleanupError) throw err;
    options.onCleanupError(key, err);
  };
  if (!options.dryRun) {
    for (const e of [...expired.entries, ...published]) {
      const now = await storage.stat(e.key);
      if (now?.etag !== e.etag) {
        return fail(
          e.key,
          new Error("another run published meanwhile: package files are deleted by a later run"),
        );
      }
    }
  }
  for (const { key, mtime } of expired.files) {
    try {
      if (!options.dryRun) {
        const now = await storage.stat(key);
        if (!now || !notUploadedAgain({ mtime }, now.mtime)) continue; // gone, or uploaded again
      }
      options.onWrite?.(key, "remove");
      if (!options.dryRun) await storage.remove(key);
    } catch (err) {
      fail(key, err);
    }
  }
}
