/**
 * Writes a new generation of metadata in an order that keeps every client consistent:
 * content-addressed files first, then the indexes at their usual names, then the entry points
 * (the first one conditionally, so a concurrent run is detected), then removal of files that
 * neither the new nor the previous generation names. In dry-run mode nothing is written;
 * the plan is reported instead.
 * @module
 */
import type { Storage, WriteOptions } from "../storage/storage.ts";

/** One file to publish. */
export interface OutputFile {
  key: string;
  data: Uint8Array | string;
  contentType: string;
  cacheControl: string;
}

/** What a run publishes, grouped by write order. */
export interface PublishPlan {
  /** Content-addressed files (by-hash copies, checksum-named repodata), written first. */
  content: OutputFile[];
  /** Index files at their usual names. */
  indexes: OutputFile[];
  /** Entry points in write order; the first is written conditionally. */
  entryPoints: OutputFile[];
  /** Keys removed once the entry points are written. */
  remove: string[];
}

/** Condition on the first entry point: the etag seen at the start of the run, or none. */
export interface EntryCondition {
  /** Etag of the entry point when the run started; undefined when it did not exist. */
  etag?: string;
}

/** Options of publish(). */
export interface PublishOptions {
  dryRun?: boolean;
  publicRead?: boolean;
  condition?: EntryCondition;
  /** Files written in parallel within one group. */
  concurrency?: number;
  /** Called for every key written or removed (or planned, in dry-run mode). */
  onWrite?: (key: string, action: "write" | "remove") => void;
}

/** Cache-Control for entry points: clients must revalidate soon. */
export const CACHE_ENTRY = "public, max-age=60, must-revalidate";
/** Cache-Control for index files at their usual names. */
export const CACHE_INDEX = "public, max-age=60, must-revalidate";
/** Cache-Control for content-addressed files: they never change. */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";

async function writeGroup(
  storage: Storage,
  files: readonly OutputFile[],
  options: PublishOptions,
): Promise<void> {
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      options.onWrite?.(f.key, "write");
      if (!options.dryRun) {
        await storage.write(f.key, f.data, {
          contentType: f.contentType,
          cacheControl: f.cacheControl,
          publicRead: options.publicRead,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
}

/** Publishes a plan in the safe order; returns the keys written and removed. */
export async function publish(
  storage: Storage,
  plan: PublishPlan,
  options: PublishOptions = {},
): Promise<{ written: string[]; removed: string[] }> {
  const written: string[] = [];
  const removed: string[] = [];
  const track: PublishOptions = {
    ...options,
    onWrite: (key, action) => {
      (action === "write" ? written : removed).push(key);
      options.onWrite?.(key, action);
    },
  };
  await writeGroup(storage, plan.content, track);
  await writeGroup(storage, plan.indexes, track);
  for (const [i, f] of plan.entryPoints.entries()) {
    const write: WriteOptions = {
      contentType: f.contentType,
      cacheControl: f.cacheControl,
      publicRead: options.publicRead,
    };
    if (i === 0 && options.condition) {
      if (options.condition.etag === undefined) write.ifNoneMatch = "*";
      else write.ifMatch = options.condition.etag;
    }
    track.onWrite!(f.key, "write");
    if (!options.dryRun) await storage.write(f.key, f.data, write);
  }
  for (const key of plan.remove) {
    track.onWrite!(key, "remove");
    if (!options.dryRun) await storage.remove(key);
  }
  return { written, removed };
}
