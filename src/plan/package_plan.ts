/**
 * The package plan, one for both formats: which package files of a listing are new, changed,
 * unchanged (their published record is reused, the file is not read) and gone, against what the
 * repository publishes. Files pending deletion stay out of the index until the grace period
 * deletes them, unless they were uploaded again.
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";
import type { PendingPackage, PendingPackages } from "../record/cleanup_record.ts";
import { isPending } from "./lifecycle.ts";

/** What the planner compares. */
export interface PackagePlanInput<T> {
  /** The whole listing, in order. */
  objects: Iterable<ObjectInfo>;
  /** True for the keys that are package files of this format. */
  isPackage: (key: string) => boolean;
  /** The records the published indexes hold, by key. */
  published: ReadonlyMap<string, T>;
  /** True when a published record still describes the file (size, time, digests). */
  current: (record: T, object: ObjectInfo) => boolean;
  /** Pending package files, as recorded at the start of the run. */
  pending: ReadonlyMap<string, PendingPackage>;
}

/** What a run does with each package file. */
export interface PackagePlan<T> {
  /** Published records reused as they are, in listing order. */
  kept: T[];
  /** Files to read: new, or changed since they were indexed, in listing order. */
  toRead: ObjectInfo[];
  /** Keys among `toRead` that no published index names. */
  added: string[];
  /** Keys among `toRead` that a published index names. */
  changed: string[];
  /** Keys a published index names that are gone, or pending deletion. */
  removed: string[];
  /** Pending package files still waiting (those uploaded again are indexed again). */
  pending: PendingPackages;
}

/** Plans the package files of a listing against the published records. */
export function planPackages<T>(input: PackagePlanInput<T>): PackagePlan<T> {
  const plan: PackagePlan<T> = {
    kept: [],
    toRead: [],
    added: [],
    changed: [],
    removed: [],
    pending: new Map(input.pending),
  };
  const listed = new Set<string>();
  for (const o of input.objects) {
    if (!input.isPackage(o.key)) continue;
    listed.add(o.key);
    if (isPending(plan.pending, o)) continue; // out of the index until the grace deletes it
    plan.pending.delete(o.key); // uploaded again since it left the index: indexed again
    const old = input.published.get(o.key);
    if (old !== undefined && input.current(old, o)) plan.kept.push(old);
    else {
      plan.toRead.push(o);
      (old === undefined ? plan.added : plan.changed).push(o.key);
    }
  }
  for (const key of input.published.keys()) {
    if (!listed.has(key) || plan.pending.has(key)) plan.removed.push(key);
  }
  return plan;
}
