/**
 * How the local-disk backend writes a file: atomically (a sibling written and synced, then
 * renamed over it), and, for conditional writes, under a cross-process lock file.
 * @module
 */
import { dirname, sep } from "node:path";
import { MkrepoError } from "../errors.ts";
import type { WriteBody } from "./storage.ts";

/** Marks the name of a file being written (the listing skips it). */
export const TEMP_MARK = ".mkrepo-tmp-";
/** Ends the name of a lock file (the listing skips it). */
export const LOCK_SUFFIX = ".mkrepo-lock";
const LOCK_STALE_MS = 60_000;

/**
 * Writes `body` to a new sibling of `path`, syncs it and renames it over `path`; on failure
 * removes the sibling and throws the error as it is.
 */
export async function writeAtomically(path: string, body: WriteBody): Promise<void> {
  const temp = `${dirname(path)}${sep}.${TEMP_MARK}${crypto.randomUUID()}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
    try {
      if (body instanceof ReadableStream) {
        for await (const chunk of body) await writeAll(file, chunk);
      } else {
        await writeAll(file, typeof body === "string" ? new TextEncoder().encode(body) : body);
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

/**
 * Takes a cross-process lock for the file at `path` (create-exclusive lock file) and returns
 * its release; a lock older than a minute is taken over. `key` names the object in errors.
 */
export async function lockFile(path: string, key: string): Promise<() => Promise<void>> {
  const lockPath = path + LOCK_SUFFIX;
  const deadline = Date.now() + 2 * LOCK_STALE_MS;
  for (let wait = 5;; wait = Math.min(wait * 2, 200)) {
    try {
      const f = await Deno.open(lockPath, { write: true, createNew: true });
      f.close();
      return () => Deno.remove(lockPath).catch(() => {});
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      const info = await Deno.stat(lockPath).catch(() => undefined);
      if (info?.mtime && Date.now() - info.mtime.getTime() > LOCK_STALE_MS) {
        await Deno.remove(lockPath).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new MkrepoError({
          code: "conflict",
          action: "lock",
          key,
          reason: `lock file ${lockPath} is held by another run`,
          hint: "if no other mkrepo is running, delete the lock file",
        });
      }
      await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    }
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await file.write(data.subarray(at));
}
