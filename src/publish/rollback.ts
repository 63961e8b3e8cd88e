/**
 * Putting the previous repository back when a publication fails part way: each file a unit
 * replaced gets its previous content back (bytes, a copy from its by-hash name, or removal),
 * the entry point first and only while it is still ours — another run that published on top
 * owns the unit since.
 * @module
 */
import type { Storage } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import type { OutputFile, PublishOptions, PublishUnit } from "./publish_plan.ts";
import { ownEtag, writeOptions } from "./file_writes.ts";

/** A unit as far as this run got with it. */
export interface UnitState {
  unit: PublishUnit;
  /** Files written (or whose answer was lost), in write order. */
  done: OutputFile[];
  /** Etag of our first entry point once it is known to be ours. */
  etag?: string;
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
 * Puts back what a failed publication replaced, units last to first, then the shared files;
 * stops where continuing would make things worse, and then throws a "partial-publish" error
 * naming what is left. Returns when everything was put back (the caller rethrows `err`).
 */
export async function rollBack(
  storage: Storage,
  states: readonly UnitState[],
  sharedDone: OutputFile[],
  options: PublishOptions,
  err: unknown,
): Promise<void> {
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
}
