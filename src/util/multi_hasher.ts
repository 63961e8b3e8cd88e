/**
 * Hashing in memory on the calling thread: md5/sha1/sha256/sha512 and the size of a byte
 * sequence in one pass. Ground level: used by readers, indexes and hash workers alike.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { Checksums, HashName } from "../record/checksums.ts";

/** Incremental md5/sha1/sha256/sha512 + size over a byte sequence, on the calling thread. */
export class MultiHasher {
  #hashes: [HashName, Hash][];
  #size = 0;

  constructor(algorithms: readonly HashName[]) {
    this.#hashes = algorithms.map((name) => [name, createHash(name)]);
  }

  /** Feeds bytes to every digest. */
  update(chunk: Uint8Array): void {
    this.#size += chunk.length;
    for (const [, h] of this.#hashes) h.update(chunk);
  }

  /** Bytes fed so far. */
  get size(): number {
    return this.#size;
  }

  /** Finishes every digest; the hasher cannot be used afterwards. */
  digest(): Checksums {
    const out: Checksums = { size: this.#size };
    for (const [name, h] of this.#hashes) out[name] = h.digest("hex");
    return out;
  }
}

/** Hashes bytes or text in memory, on the calling thread. */
export function hashBytes(data: Uint8Array | string, algorithms: readonly HashName[]): Checksums {
  const hasher = new MultiHasher(algorithms);
  hasher.update(typeof data === "string" ? new TextEncoder().encode(data) : data);
  return hasher.digest();
}
