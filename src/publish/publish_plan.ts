/**
 * What a run publishes and how: the plan (files grouped by write order, with how to undo each
 * write), its options, and the Cache-Control of each kind of file. publisher.ts carries it
 * out; repo/ and the other publish/ modules build it.
 * @module
 */

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
  /**
   * Write only if the key still has this etag (undefined: does not exist), as listed by the
   * run; otherwise another run changed it since, and the run starts over (a "conflict").
   */
  ifUnchanged?: { etag?: string };
}

/** Condition on a unit's first entry point: what the run planned from. */
export interface EntryCondition {
  /** Etag of the entry point when the run listed; undefined when it did not exist. */
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

/** The files of one entry point's generation (a Debian dist; the RPM repodata). */
export interface PublishUnit {
  /** The first entry point (InRelease, or Release when unsigned; repomd.xml). */
  entry: OutputFile;
  condition: EntryCondition;
  /** Index files at their usual names, written once the entry point is ours. */
  indexes: OutputFile[];
  /** The other entry points (Release, Release.gpg; repomd.xml.asc), in write order. */
  entryPoints: OutputFile[];
}

/** What a run publishes, grouped by write order. */
export interface PublishPlan {
  /** Content-addressed files (by-hash copies, checksum-named repodata), written first. */
  content: OutputFile[];
  /** Files at usual names that no entry point names (the public key), written next. */
  shared: OutputFile[];
  /** One unit per entry point, in order. */
  units: PublishUnit[];
  /** Keys removed once every unit is written. */
  remove: string[];
  /**
   * Unreferenced files whose grace period is over, removed after `remove` — each only if it
   * was not written again since the grace period began (`expireBefore`): a racing run that
   * publishes an index naming the same content writes it again first.
   */
  expired?: { keys: string[]; writtenBefore: number };
  /**
   * Package files whose grace period is over, removed last: each only if it still has the
   * modification time recorded when it left the index (else it was uploaded again), and only
   * while the entry points of units this run does not publish still have the etags the run
   * planned from (those it publishes are checked against its own writes).
   */
  expiredPackages?: { files: { key: string; mtime: number }[]; entries: EntryEtag[] };
}

/** An entry point and the etag it had when the run listed (undefined: absent). */
export interface EntryEtag {
  key: string;
  etag?: string;
}

/** An empty plan. */
export function emptyPlan(): PublishPlan {
  return { content: [], shared: [], units: [], remove: [] };
}

/** True when the plan writes or removes nothing. */
export function isEmptyPlan(plan: PublishPlan): boolean {
  return plan.content.length === 0 && plan.shared.length === 0 && plan.units.length === 0 &&
    plan.remove.length === 0 && (plan.expired?.keys.length ?? 0) === 0 &&
    (plan.expiredPackages?.files.length ?? 0) === 0;
}

/** Files written at once within one group: a fixed number, not `--concurrency` (packages). */
export const WRITES_IN_FLIGHT = 8;

/** Options of publish(). */
export interface PublishOptions {
  dryRun?: boolean;
  publicRead?: boolean;
  /** Files written in parallel within one group (default WRITES_IN_FLIGHT). */
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
