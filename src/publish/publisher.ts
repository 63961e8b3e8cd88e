/**
 * Writes a new generation of metadata in an order that keeps every client consistent, and
 * never reports a state it did not leave:
 *
 * 1. content-addressed files (by-hash copies, checksum-named repodata) — new names only;
 * 2. files not tied to an entry point (the public key);
 * 3. per unit (a Debian dist, the RPM repodata): the first entry point, conditionally (the
 *    etag the run planned from), so a run that lost a race writes nothing a client reads;
 *    then the unit's indexes at their usual names; then its other entry points (Release,
 *    Release.gpg; repomd.xml.asc); then a check that the first entry point is still ours;
 * 4. removal of files that neither the new nor the previous generation names, and of
 *    unreferenced files whose grace period is over (unreferenced.ts decides which); then of
 *    package files whose grace period is over, only while every entry point is still the one
 *    this run published or planned from (else another run's index may name them).
 *
 * A conditional write refused after a lost answer is settled by reading back what is there:
 * our own bytes mean our write went through. If a write fails before the last unit is done,
 * what was replaced is put back (the previous repository, exactly), unless another run has
 * published on top of a unit meanwhile (its files are then left alone). When something cannot
 * be put back, the rollback stops where continuing would make things worse and throws a
 * "partial-publish" error naming what is left; the next run repairs it (it checks every file
 * and signature against its entry point before deciding that nothing needs publishing).
 *
 * Plain-path clients (apt with Acquire::By-Hash=no) see a short window while a unit is
 * written: its entry point names indexes whose usual names are replaced right after. No order
 * of separate objects avoids it; by-hash clients and dnf (checksum-named files) never see it.
 * In dry-run mode nothing is written; the plan is reported instead.
 * @module
 */
import { readAll, type Storage, type WriteOptions } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import { removePackageFiles } from "./remove_packages.ts";
import {
  type OutputFile,
  type PublishOptions,
  type PublishPlan,
  type PublishUnit,
  WRITES_IN_FLIGHT,
} from "./publish_plan.ts";
import { runPooled } from "../util/bounded_pool.ts";

function writeOptions(f: OutputFile, options: PublishOptions): WriteOptions {
  return {
    contentType: f.contentType,
    cacheControl: f.cacheControl,
    publicRead: options.publicRead,
  };
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A unit as far as this run got with it. */
interface UnitState {
  unit: PublishUnit;
  /** Files written (or whose answer was lost), in write order. */
  done: OutputFile[];
  /** Etag of our first entry point once it is known to be ours. */
  etag?: string;
}

/** Writes every file of a group, several at a time; records each in `done` before it is sent. */
async function writeGroup(
  storage: Storage,
  files: readonly OutputFile[],
  options: PublishOptions,
  done: OutputFile[],
): Promise<void> {
  await runPooled(files, options.concurrency ?? WRITES_IN_FLIGHT, async (f) => {
    options.onWrite?.(f.key, "write");
    if (!options.dryRun) {
      // Counted as done before the answer: a write whose answer is lost (a dropped
      // connection) may have happened, and putting back what was there is harmless if not.
      done.push(f);
      await writeFile(storage, f, options);
    }
  });
}

/** Writes one file, conditionally when it says so (a refusal not settled by our bytes: conflict). */
async function writeFile(storage: Storage, f: OutputFile, options: PublishOptions): Promise<void> {
  const write = writeOptions(f, options);
  if (f.ifUnchanged) {
    if (f.ifUnchanged.etag === undefined) write.ifNoneMatch = "*";
    else write.ifMatch = f.ifUnchanged.etag;
  }
  try {
    await storage.write(f.key, f.data, write);
  } catch (err) {
    if (!f.ifUnchanged || !(err instanceof MkrepoError && err.code === "conflict")) throw err;
    if (await ownEtag(storage, f.key, f.data) === undefined) {
      throw lostRace(storage, f.key, "another run changed it since this run listed");
    }
  }
}

/** The etag of `key` if it holds exactly `data` now, else undefined. */
async function ownEtag(
  storage: Storage,
  key: string,
  data: Uint8Array | string,
): Promise<string | undefined> {
  const current = await storage.stat(key);
  if (!current) return undefined;
  const ours = bytesOf(data);
  if (current.size !== ours.length) return undefined;
  return sameBytes(await readAll(storage, key), ours) ? current.etag : undefined;
}

function lostRace(storage: Storage, key: string, reason: string): MkrepoError {
  return new MkrepoError({
    code: "conflict",
    key: storage.describe(key),
    reason,
    hint: "run mkrepo again once the other jobs are done; nothing was lost",
  });
}

/**
 * Writes a unit's first entry point under its condition. A refusal is settled by reading back:
 * our own bytes there mean an earlier attempt went through and only its answer was lost.
 */
async function writeEntry(
  storage: Storage,
  state: UnitState,
  options: PublishOptions,
): Promise<void> {
  const { entry, condition } = state.unit;
  const write = writeOptions(entry, options);
  if (condition.etag === undefined) write.ifNoneMatch = "*";
  else write.ifMatch = condition.etag;
  options.onWrite?.(entry.key, "write");
  if (options.dryRun) return;
  state.done.push(entry); // before the answer, as in writeGroup
  try {
    state.etag = (await storage.write(entry.key, entry.data, write)).etag;
  } catch (err) {
    if (!(err instanceof MkrepoError && err.code === "conflict")) throw err;
    state.etag = await ownEtag(storage, entry.key, entry.data);
    if (state.etag === undefined) {
      state.done.pop(); // not ours: nothing of this unit was written
      throw err;
    }
  }
}

/** Publishes one unit: first entry point, indexes, other entry points, ownership check. */
async function publishUnit(
  storage: Storage,
  state: UnitState,
  options: PublishOptions,
): Promise<void> {
  const { unit } = state;
  await writeEntry(storage, state, options);
  await writeGroup(storage, unit.indexes, options, state.done);
  for (const f of unit.entryPoints) {
    options.onWrite?.(f.key, "write");
    if (options.dryRun) continue;
    state.done.push(f);
    await storage.write(f.key, f.data, writeOptions(f, options));
  }
  if (options.dryRun) return;
  // Another run may have published on top of our first entry point while we wrote the rest,
  // and had its files replaced by ours, older: start over like any lost race (the retry
  // re-plans from what is published and rewrites whatever does not match).
  const now = await storage.stat(unit.entry.key);
  if (now?.etag !== state.etag) {
    throw lostRace(
      storage,
      unit.entry.key,
      "another run published while this one was writing its files",
    );
  }
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

/** Puts back what a unit replaced; returns the keys it could not put back. */
async function rollbackUnit(
  storage: Storage,
  state: UnitState,
  options: PublishOptions,
): Promise<string[]> {
  const { unit, done } = state;
  if (done.length === 0) return [];
  const entry = unit.entry;
  if (done.includes(entry)) {
    // The entry point first, and only if it is still ours: another run may have published on
    // top of it since, and then its files are the current ones and nothing is put back.
    try {
      const current = await storage.stat(entry.key);
      if (current?.etag !== unit.condition.etag) {
        const etag = state.etag ?? await ownEtag(storage, entry.key, entry.data);
        if (etag === undefined || current?.etag !== etag) return []; // another run's
        await restoreFile(storage, entry, options, etag);
      }
    } catch (err) {
      options.onRollbackError?.(entry.key, err);
      // Our entry point stays: so do the files it names (putting them back would break it).
      return [entry.key];
    }
  }
  const failed: string[] = [];
  for (const f of [...done].reverse()) {
    if (!f.restore || f === entry) continue;
    try {
      await restoreFile(storage, f, options);
    } catch (err) {
      options.onRollbackError?.(f.key, err);
      failed.push(f.key);
    }
  }
  return failed;
}

/**
 * Rewrites a unit's first entry point (same bytes, If-Match our write) until its modification
 * time is in a later second than the previous version's. Costs one stat when the previous
 * version is recent (by the local clock), and a wait of under a second when it is in the same
 * second.
 */
async function laterSecond(
  storage: Storage,
  state: UnitState,
  options: PublishOptions,
): Promise<void> {
  const { entry, condition } = state.unit;
  const previous = condition.mtime;
  if (previous === undefined || Date.now() - previous > 10_000) return;
  const second = (ms: number) => Math.floor(ms / 1000);
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = await storage.stat(entry.key);
    if (!now || now.etag !== state.etag || second(now.mtime) > second(previous)) return;
    await new Promise((r) => setTimeout(r, 1000 - (now.mtime % 1000) + 20));
    const write = { ...writeOptions(entry, options), ifMatch: now.etag };
    state.etag = (await storage.write(entry.key, entry.data, write)).etag;
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
  const sharedDone: OutputFile[] = [];
  const states: UnitState[] = plan.units.map((unit) => ({ unit, done: [] }));
  try {
    await writeGroup(storage, plan.content, track, []);
    await writeGroup(storage, plan.shared, track, sharedDone);
    for (const state of states) await publishUnit(storage, state, track);
  } catch (err) {
    // A lost race (conflict) is not rolled back: the other run's files are the current ones,
    // and the retry that follows re-plans from them and rewrites what does not match.
    if (err instanceof MkrepoError && err.code === "conflict") throw err;
    const left: string[] = [];
    for (const state of [...states].reverse()) {
      left.push(...await rollbackUnit(storage, state, options));
      if (left.length > 0) break; // what is left names what follows: stop putting back
    }
    if (left.length === 0) {
      for (const f of sharedDone.reverse()) {
        if (!f.restore) continue;
        await restoreFile(storage, f, options).catch((e) => {
          options.onRollbackError?.(f.key, e);
          left.push(f.key);
        });
      }
    }
    if (left.length > 0) {
      throw new MkrepoError({
        code: "partial-publish",
        key: storage.describe(left[0]),
        action: "put back",
        reason: `the publication failed (${err instanceof Error ? err.message : String(err)}) and ${
          left.join(", ")
        } could not be restored: the repository is left partly new`,
        hint: "run mkrepo again: it finds what does not match and publishes it completely",
        cause: err,
      });
    }
    throw err;
  }
  for (const state of states) {
    if (state.etag !== undefined && state.unit.condition.distinctSecond) {
      await laterSecond(storage, state, options).catch(() => {
        // Best effort: the generation is published; at worst a client misses it until the next.
      });
    }
  }
  // The new generation is published: cleanup failures no longer matter to clients.
  const expired = plan.expired?.keys ?? [];
  for (const key of [...plan.remove, ...expired]) {
    try {
      if (expired.includes(key) && !options.dryRun) {
        const now = await storage.stat(key);
        if (!now || now.mtime >= plan.expired!.writtenBefore) continue; // in use again
      }
      track.onWrite!(key, "remove");
      if (!options.dryRun) await storage.remove(key);
    } catch (err) {
      if (!options.onCleanupError) throw err;
      options.onCleanupError(key, err);
    }
  }
  if (plan.expiredPackages && plan.expiredPackages.files.length > 0) {
    const published = states.map((s) => ({ key: s.unit.entry.key, etag: s.etag }));
    await removePackageFiles(storage, plan.expiredPackages, published, track);
  }
  return { written, removed };
}
