/**
 * Local-disk storage. Writes are atomic per file (write a sibling, then rename), conditional
 * writes are serialised across processes with a lock file, and no key can escape the root
 * (no "..", no absolute keys, no writing through a symlink that leads outside). Listing is
 * fs_list.ts, reading fs_read.ts, the atomic write and the lock fs_write.ts.
 * @module
 */
import { dirname, join, sep } from "node:path";
import { MkrepoError } from "../errors.ts";
import type { LocalFileRange } from "../util/local_file.ts";
import type {
  ObjectInfo,
  ReadRange,
  Storage,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "./storage.ts";
import { toInfo, walkFiles } from "./fs_list.ts";
import { readFile, readSmallFile } from "./fs_read.ts";
import { lockFile, writeAtomically } from "./fs_write.ts";

/** Creates a storage rooted at an absolute local folder. */
export function createFsStorage(root: string): Storage {
  return new FsStorage(root);
}

/** Local-disk implementation of Storage. */
export class FsStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  describe(key: string): string {
    return key === "" ? this.root : join(this.root, ...key.split("/"));
  }

  /** Absolute path of a key, after checking that the key stays inside the root. */
  #path(key: string): string {
    if (
      key === "" || key.startsWith("/") || key.includes("\\") || key.includes("\0") ||
      /^[a-zA-Z]:/.test(key) || key.split("/").some((p) => p === ".." || p === "." || p === "")
    ) {
      throw new MkrepoError({
        code: "storage",
        key,
        reason: "key is not a plain relative path inside the repository",
      });
    }
    return join(this.root, ...key.split("/"));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const start = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const startDir = start === "" ? this.root : this.#path(start);
    const batches = walkFiles(startDir, prefix, {
      root: this.root,
      fail: (err, key) => this.#wrap(err, key, "list"),
    });
    for await (const batch of batches) yield* batch;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await Deno.stat(this.#path(key));
      return info.isFile ? toInfo(key, info) : undefined;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return undefined;
      }
      throw this.#wrap(err, key, "stat");
    }
  }

  read(key: string, range?: ReadRange): Promise<ReadableStream<Uint8Array>> {
    let path: string;
    try {
      path = this.#path(key);
    } catch (err) {
      return Promise.reject(err);
    }
    return readFile(path, { range, fail: (err) => this.#wrap(err, key, "read") });
  }

  readSmall(key: string, max: number): Uint8Array | undefined {
    const path = this.#path(key);
    try {
      return readSmallFile(path, max);
    } catch (err) {
      throw this.#wrap(err, key, "read");
    }
  }

  /** The file holding `key` (or a range of it): a hash worker may read long stretches itself. */
  localFile(key: string, range?: ReadRange): LocalFileRange {
    return { path: this.#path(key), start: range?.start ?? 0, end: range?.end };
  }

  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    const path = this.#path(key);
    await this.#mkdirInside(dirname(path), key);
    const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
    const unlock = conditional
      ? await lockFile(path, key).catch((err) => {
        throw this.#wrap(err, key, "lock");
      })
      : undefined;
    try {
      if (conditional) {
        const current = await this.stat(key);
        if (options.ifNoneMatch === "*" && current) throw conflict(key, "it already exists");
        if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
          throw conflict(key, "it was changed by another run");
        }
      }
      try {
        await writeAtomically(path, body);
      } catch (err) {
        throw err instanceof MkrepoError ? err : this.#wrap(err, key, "write");
      }
      const info = await Deno.stat(path);
      return { etag: toInfo(key, info).etag };
    } finally {
      await unlock?.();
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      await this.#checkInside(dirname(path), key, "remove");
      await Deno.remove(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw this.#wrap(err, key, "remove");
    }
  }

  /** Throws unless the existing folder `dir` resolves (symlinks followed) inside the root. */
  async #checkInside(dir: string, key: string, action: string): Promise<void> {
    const [realRoot, realDir] = await Promise.all([Deno.realPath(this.root), Deno.realPath(dir)]);
    if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) {
      throw new MkrepoError({
        code: "storage",
        action,
        key,
        reason: `its folder resolves to ${realDir}, outside the repository (symlink?)`,
      });
    }
  }

  /**
   * Creates a folder inside the root. The deepest part of the path that already exists is
   * checked first, so nothing is created through a symlink that leads outside.
   */
  async #mkdirInside(dir: string, key: string): Promise<void> {
    let existing = dir;
    for (;;) {
      try {
        await Deno.stat(existing);
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound) || existing === this.root) {
          throw this.#wrap(err, key, "write");
        }
        existing = dirname(existing);
      }
    }
    await this.#checkInside(existing, key, "write");
    await Deno.mkdir(dir, { recursive: true }).catch((err) => {
      throw this.#wrap(err, key, "write");
    });
    await this.#checkInside(dir, key, "write");
  }

  #wrap(err: unknown, key: string, action: string): MkrepoError {
    if (err instanceof MkrepoError) return err;
    if (err instanceof Deno.errors.NotFound) {
      return new MkrepoError({
        code: "not-found",
        action,
        key: this.describe(key),
        reason: "no such file",
        cause: err,
      });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      return new MkrepoError({
        code: "access-denied",
        action,
        key: this.describe(key),
        reason: "permission denied",
        hint: "check the folder's permissions (and Deno's --allow-read/--allow-write)",
        cause: err,
      });
    }
    return new MkrepoError({
      code: "storage",
      action,
      key: this.describe(key),
      reason: err instanceof Error ? err.message : String(err),
      cause: err,
    });
  }
}

function conflict(key: string, why: string): MkrepoError {
  return new MkrepoError({
    code: "conflict",
    action: "write",
    key,
    reason: `${why} (concurrent run)`,
  });
}
