/**
 * The listing behind the local-disk backend's `list()`: a depth-first walk of the folders
 * under a prefix, in name order, reading folders and stat'ing entries with synchronous calls and
 * handing the files over as {@linkcode ObjectInfo}s in batches. Nothing per entry outlives its
 * turn (holding a folder's entries while stat'ing them cost 50,000 files ~25 MiB of heap). Our
 * temp and lock files are left out.
 * @module
 */
import { relative, sep } from "node:path";
import type { ObjectInfo } from "./storage.ts";
import { LOCK_SUFFIX, TEMP_MARK } from "./fs_write.ts";

/**
 * Files handed over at a time. Folders are read and entries stat'ed with synchronous calls:
 * Deno's async `lstat` and `readDir` cost a trip through the blocking thread pool per call
 * (50,000 files: 2.3 s against 0.57 s for `lstatSync` on a loaded 2-core machine).
 */
const BATCH = 256;

/** `lstat` (or `stat` for a symlink, to follow it), or undefined when it is gone or dangling. */
function statEntry(isSymlink: boolean, path: string): Deno.FileInfo | undefined {
  try {
    return isSymlink ? Deno.statSync(path) : Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Options of {@linkcode walkFiles}. */
export interface WalkFilesOptions {
  /** The storage's root folder; keys are relative to it. */
  root: string;
  /** Turns a folder that cannot be read into the error the listing throws. */
  fail: (err: unknown, key: string) => Error;
}

/**
 * The files under `dir` whose keys start with `prefix`, folders walked in name order, in
 * batches: the caller yields each file once, instead of every nested folder's generator
 * passing it on (a file 5 folders deep cost 5 async hand-overs; 50,000 files: ~0.5 s).
 */
export async function* walkFiles(
  dir: string,
  prefix: string,
  options: WalkFilesOptions,
): AsyncIterable<ObjectInfo[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return;
    throw options.fail(err, relative(options.root, dir).split(sep).join("/"));
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const dirKey = relative(options.root, dir).split(sep).join("/");
  // `dir` is normalised and a name holds no separator: joining needs no normalisation.
  const dirPath = dir.endsWith(sep) ? dir : dir + sep;
  let files: ObjectInfo[] = [];
  for (const e of entries) {
    // Our temp and lock files, and names no key can express (a "\\" is a separator on Windows).
    if (e.name.includes(TEMP_MARK) || e.name.endsWith(LOCK_SUFFIX) || e.name.includes("\\")) {
      continue;
    }
    // join() makes one flat string; a template keeps its pieces (50,000 keys: 2 MB more).
    const key = dirKey === "" ? e.name : [dirKey, e.name].join("/");
    if (!key.startsWith(prefix) && !prefix.startsWith(key + "/")) continue;
    const path = dirPath + e.name;
    const info = statEntry(e.isSymlink, path);
    if (!info) continue; // dangling symlink or removed meanwhile
    if (info.isDirectory) {
      if (e.isSymlink) continue;
      if (files.length > 0) yield files;
      files = [];
      yield* walkFiles(path, prefix, options);
    } else if (info.isFile && key.startsWith(prefix)) {
      files.push(toInfo(key, info));
      if (files.length === BATCH) {
        yield files;
        files = [];
      }
    }
  }
  if (files.length > 0) yield files;
}

/** The ObjectInfo of a file; its etag is "<size>-<mtime>-<inode>". */
export function toInfo(key: string, info: Deno.FileInfo): ObjectInfo {
  const mtime = info.mtime?.getTime() ?? 0;
  // join(), not a template: one flat string instead of a rope of five (50,000 etags: 5 MB).
  return { key, size: info.size, mtime, etag: [info.size, mtime, info.ino ?? 0].join("-") };
}
