/**
 * One file written as the publisher writes it: its storage options, conditionally when it says
 * so, and a refused conditional write settled by reading back (our own bytes there mean only
 * the answer was lost).
 * @module
 */
import { readAll, type Storage, type WriteOptions } from "../storage/storage.ts";
import { CONFLICT_HINT, MkrepoError } from "../errors.ts";
import type { OutputFile, PublishOptions } from "./publish_plan.ts";

/** The storage options of a file's write. */
export function writeOptions(f: OutputFile, options: PublishOptions): WriteOptions {
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

/** Writes one file, conditionally when it says so (a refusal not settled by our bytes: conflict). */
export async function writeFile(
  storage: Storage,
  f: OutputFile,
  options: PublishOptions,
): Promise<void> {
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
export async function ownEtag(
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

/** The error of a run that lost a race for `key`. */
export function lostRace(storage: Storage, key: string, reason: string): MkrepoError {
  return new MkrepoError({
    code: "conflict",
    key: storage.describe(key),
    reason,
    hint: CONFLICT_HINT,
  });
}
