/**
 * Writes a new generation of metadata in an order that keeps every client consistent:
 * content-addressed files first, then the indexes at their usual names, then the entry points
 * (the first one conditionally, so a concurrent run is detected), then removal of files that
 * neither the new nor the previous generation names. If a write fails before the last entry
 * point is written, the files already replaced at their usual names are put back as they were,
 * so the published repository stays exactly the previous one — unless another run has
 * published on top meanwhile, whose files are then left alone. In dry-run mode nothing is
 * written; the plan is reported instead.
 * @module
 */
import { readAll, type Storage, type WriteOptions } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";

/** How to put a file back if the publication fails part way. */
export type Restore =
  /** The file did not exist: remove it. */
  | { kind: "remove" }
  /** The previous content, kept in memory (small files: entry points). */
  | { kind: "bytes"; data: Uint8Array | string }
  /** The previous content is at another key (e.g. its by-hash copy). */
  | { kind: "copy"; from: string };

/** One file to publish. */
export interface OutputFile {
  key: string;
  data: Uint8Array | string;
  contentType: string;
  cacheControl: string;
  /** How to undo this write; omitted for content-addressed files (left for cleanup). */
  restore?: Restore;
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
  /** Its modification time (ms) then, used with `distinctSecond`. */
  mtime?: number;
  /**
   * Make the new entry point's modification time fall in a later second than `mtime`.
   * HTTP clients such as apt revalidate it with If-Modified-Since, and Last-Modified has whole
   * seconds: replaced within the same second, it looks unchanged (304) to a client holding the
   * previous version, until the next publication.
   */
  distinctSecond?: boolean;
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
  /** Called when a rollback step itself fails (the original error is still thrown). */
  onRollbackError?: (key: string, err: unknown) => void;
  /**
   * Called when removing a file fails after the new generation is published; the run then
   * succeeds (the next run removes it). Without it, the error is thrown.
   */
  onCleanupError?: (key: string, err: unknown) => void;
}

/** Cache-Control for entry points: clients must revalidate soon. */
export const CACHE_ENTRY = "public, max-age=60, must-revalidate";
/** Cache-Control for index files at their usual names. */
export const CACHE_INDEX = "public, max-age=60, must-revalidate";
/** Cache-Control for content-addressed files: they never change. */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";

function writeOptions(f: OutputFile, options: PublishOptions): WriteOptions {
  return {
    contentType: f.contentType,
    cacheControl: f.cacheControl,
    publicRead: options.publicRead,
  };
}

async function writeGroup(
  storage: Storage,
  files: readonly OutputFile[],
  options: PublishOptions,
  done: OutputFile[],
): Promise<void> {
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      options.onWrite?.(f.key, "write");
      if (!options.dryRun) {
        // Counted as done before the answer: a write whose answer is lost (a dropped
        // connection) may have happened, and putting back what was there is harmless if not.
        done.push(f);
        await storage.write(f.key, f.data, writeOptions(f, options));
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** The conditionally written entry point, as this run tried to write it. */
interface FirstEntry {
  file: OutputFile;
  condition: EntryCondition;
  /** Etag our write returned (undefined when its answer never came). */
  etag?: string;
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

/**
 * Who the first entry point belongs to now: still the previous generation's ("old"), this
 * run's ("ours", with its current etag), or another run's that published on top ("other").
 */
async function entryOwner(
  storage: Storage,
  first: FirstEntry,
): Promise<{ owner: "old" | "ours" | "other"; etag?: string }> {
  const current = await storage.stat(first.file.key);
  if (current?.etag === first.condition.etag) return { owner: "old" };
  if (!current) return { owner: "other" };
  if (first.etag !== undefined) {
    return { owner: current.etag === first.etag ? "ours" : "other", etag: current.etag };
  }
  const now = await readAll(storage, first.file.key);
  const ours = bytesOf(first.file.data);
  const same = now.length === ours.length && now.every((b, i) => b === ours[i]);
  return { owner: same ? "ours" : "other", etag: current.etag };
}

async function restoreFile(
  storage: Storage,
  f: OutputFile,
  options: PublishOptions,
  ifMatch?: string,
): Promise<void> {
  const restore = f.restore!;
  const write = { ...writeOptions(f, options), ifMatch };
  if (restore.kind === "remove") await storage.remove(f.key);
  else if (restore.kind === "bytes") await storage.write(f.key, restore.data, write);
  else await storage.write(f.key, await storage.read(restore.from), write);
}

async function rollback(
  storage: Storage,
  done: OutputFile[],
  options: PublishOptions,
  first?: FirstEntry,
): Promise<void> {
  // The entry point first, and only if it is still ours: another run may have published on
  // top of it since, and then its files are the current ones and nothing is put back.
  if (first && done.includes(first.file) && first.file.restore) {
    try {
      const { owner, etag } = await entryOwner(storage, first);
      if (owner === "other") return;
      if (owner === "ours") await restoreFile(storage, first.file, options, etag);
    } catch (err) {
      options.onRollbackError?.(first.file.key, err);
      if (err instanceof MkrepoError && err.code === "conflict") return;
    }
  }
  for (const f of done.reverse()) {
    if (!f.restore || f === first?.file) continue;
    try {
      await restoreFile(storage, f, options);
    } catch (err) {
      options.onRollbackError?.(f.key, err);
    }
  }
}

/**
 * Rewrites the first entry point (same bytes, If-Match our write) until its modification time
 * is in a later second than the previous version's. Costs one stat when the previous version
 * is recent (by the local clock), and a wait of under a second when it is in the same second.
 */
async function laterSecond(
  storage: Storage,
  first: FirstEntry,
  options: PublishOptions,
): Promise<void> {
  const previous = first.condition.mtime;
  if (previous === undefined || Date.now() - previous > 10_000) return;
  const second = (ms: number) => Math.floor(ms / 1000);
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = await storage.stat(first.file.key);
    if (!now || now.etag !== first.etag || second(now.mtime) > second(previous)) return;
    await new Promise((r) => setTimeout(r, 1000 - (now.mtime % 1000) + 20));
    const write = { ...writeOptions(first.file, options), ifMatch: now.etag };
    first.etag = (await storage.write(first.file.key, first.file.data, write)).etag;
  }
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
  const done: OutputFile[] = [];
  let first: FirstEntry | undefined;
  try {
    await writeGroup(storage, plan.content, track, done);
    await writeGroup(storage, plan.indexes, track, done);
    for (const [i, f] of plan.entryPoints.entries()) {
      const write = writeOptions(f, options);
      if (i === 0 && options.condition) {
        if (options.condition.etag === undefined) write.ifNoneMatch = "*";
        else write.ifMatch = options.condition.etag;
        first = { file: f, condition: options.condition };
      }
      track.onWrite!(f.key, "write");
      if (!options.dryRun) {
        done.push(f); // before the answer, as in writeGroup
        const { etag } = await storage.write(f.key, f.data, write);
        if (first?.file === f) first.etag = etag;
      }
    }
    // Only the first entry point is conditional: another run that published on top of it
    // while we wrote the others (e.g. Release, Release.gpg) may have had its files replaced by
    // ours, older. Then start over like any lost race: the retry merges and rewrites them all.
    if (first?.etag !== undefined && plan.entryPoints.length > 1) {
      const now = await storage.stat(first.file.key);
      if (now?.etag !== first.etag) {
        throw new MkrepoError({
          code: "conflict",
          key: storage.describe(first.file.key),
          reason: "another run published while this one was writing its entry points",
          hint: "run mkrepo again once the other jobs are done; nothing was lost",
        });
      }
    }
  } catch (err) {
    // A lost race (conflict) is not rolled back: the other run's files are the current ones,
    // and the retry that follows rewrites every index for the merged generation.
    if (!(err instanceof MkrepoError && err.code === "conflict")) {
      await rollback(storage, done, options, first);
    }
    throw err;
  }
  if (first?.etag !== undefined && options.condition?.distinctSecond) {
    await laterSecond(storage, first, options).catch(() => {
      // Best effort: the generation is published; at worst a client misses it until the next.
    });
  }
  // The new generation is published: cleanup failures no longer matter to clients.
  for (const key of plan.remove) {
    track.onWrite!(key, "remove");
    if (options.dryRun) continue;
    try {
      await storage.remove(key);
    } catch (err) {
      if (!options.onCleanupError) throw err;
      options.onCleanupError(key, err);
    }
  }
  return { written, removed };
}
