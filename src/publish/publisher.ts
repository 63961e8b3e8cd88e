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
import type { Storage } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import { removePackageFiles } from "./remove_packages.ts";
import {
  type OutputFile,
  type PublishOptions,
  type PublishPlan,
  WRITES_IN_FLIGHT,
} from "./publish_plan.ts";
import { runPooled } from "../util/bounded_pool.ts";
import { lostRace, ownEtag, writeFile, writeOptions } from "./file_writes.ts";
import { rollBack, type UnitState } from "./rollback.ts";

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
    await rollBack(storage, states, sharedDone, options, err);
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
