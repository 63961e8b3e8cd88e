/**
 * The reading stage shared by the Debian and RPM updaters: reads the new and changed package
 * files in parallel (results in listing order), reports progress, reuses what an earlier
 * attempt of the same run read, and applies `--force` to malformed packages.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import { escapeControl, MkrepoError } from "../errors.ts";
import { packageKeyProblem } from "../plan/package_key.ts";
import { orderedPool } from "../util/bounded_pool.ts";
import type { RepoKind } from "../plan/layout.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";
import { stopHashWorkers } from "../reader/hashing.ts";
import { collectGarbage } from "../util/collect_garbage.ts";

/** A fresh summary for one repository. */
export function newSummary(path: string, kind: RepoKind, dryRun: boolean): RepoSummary {
  return {
    path,
    kind,
    packages: 0,
    read: 0,
    bytesRead: 0,
    added: 0,
    removed: 0,
    changed: 0,
    dropped: 0,
    addedKeys: [],
    removedKeys: [],
    changedKeys: [],
    droppedKeys: [],
    malformed: [],
    written: [],
    deleted: [],
    settingsChanged: [],
    upToDate: false,
    dryRun,
  };
}

/** Records read by earlier attempts of a run, by key (valid while the etag is the same). */
export type ReadCache<T> = Map<string, { etag: string; record: T }>;

/** Options of readChanged(). */
export interface ReadChangedOptions<T> {
  events: RunEvents;
  summary: RepoSummary;
  concurrency?: number;
  force?: boolean;
  readCache?: ReadCache<T>;
  /** Why an object cannot be indexed, from its key alone (checked before reading it). */
  check?: (object: ObjectInfo) => string | undefined;
  /** Reads one object into its record. */
  read: (object: ObjectInfo) => Promise<T>;
  /** The form a record is kept in for the rest of the run (default: as read). */
  keep?: (record: T) => T;
}

/**
 * Reads `toRead` and returns the records in the same order. A malformed package fails the run
 * (naming the object), or with `force` is skipped, warned about and listed in the summary. A
 * key that cannot be indexed (`..` segments, control characters: `packageKeyProblem`, or
 * `options.check`) makes a malformed package without being read.
 */
export async function readChanged<T>(
  storage: Storage,
  toRead: readonly ObjectInfo[],
  options: ReadChangedOptions<T>,
): Promise<{ records: T[]; malformed: ObjectInfo[] }> {
  const { events, summary } = options;
  const totalBytes = toRead.reduce((n, o) => n + o.size, 0);
  const records: T[] = [];
  const malformed: ObjectInfo[] = [];
  const changed = new Set(summary.changedKeys);
  let done = 0;
  const reads = orderedPool(
    toRead,
    options.concurrency ?? 4,
    async (o): Promise<T | MkrepoError> => {
      const cached = options.readCache?.get(o.key);
      if (cached && cached.etag === o.etag) return cached.record;
      const problem = packageKeyProblem(o.key) ?? options.check?.(o);
      if (problem) {
        return new MkrepoError({ code: "malformed-package", key: o.key, reason: problem });
      }
      events.detail(`${changed.has(o.key) ? "Updating" : "Adding"}: ${escapeControl(o.key)}`);
      try {
        return await options.read(o);
      } catch (err) {
        if (err instanceof MkrepoError && err.code === "malformed-package") return err;
        throw err;
      }
    },
  );
  for await (const r of reads) {
    const o = toRead[done++];
    summary.read++;
    summary.bytesRead += o.size;
    events.progress({ done, total: toRead.length, bytes: summary.bytesRead, totalBytes });
    if (!(r instanceof MkrepoError)) {
      const kept = options.keep ? options.keep(r) : r;
      records.push(kept);
      options.readCache?.set(o.key, { etag: o.etag, record: kept });
      continue;
    }
    if (!options.force) {
      throw new MkrepoError({
        code: "malformed-package",
        key: storage.describe(o.key),
        offset: r.offset,
        reason: r.reason,
        hint:
          "fix or remove the file, or run with --force to skip it (listed in malformed_list.txt)",
        cause: r,
      });
    }
    events.warn(
      `skipping malformed package ${escapeControl(storage.describe(o.key))}: ${
        escapeControl(r.reason)
      }`,
    );
    summary.malformed.push(o.key);
    malformed.push(o);
  }
  // The index encoders come next: the hash workers' memory goes first, and so does the
  // reading's garbage.
  stopHashWorkers();
  if (toRead.length > 0) collectGarbage();
  const skipped = new Set(summary.malformed);
  summary.addedKeys = summary.addedKeys.filter((k) => !skipped.has(k));
  summary.changedKeys = summary.changedKeys.filter((k) => !skipped.has(k));
  summary.added = summary.addedKeys.length;
  summary.changed = summary.changedKeys.length;
  summary.removed = summary.removedKeys.length;
  return { records, malformed };
}
