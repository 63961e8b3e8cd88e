/**
 * Multi-hash tap: every byte handed to `update` feeds each requested digest and a size counter,
 * in one pass (as aptly's ChecksumWriter). Uses node:crypto, whose hashes are incremental and native.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { Checksums, HashName } from "../record/checksums.ts";

/** Incremental md5/sha1/sha256/sha512 + size over a byte sequence. */
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

/** Hashes a whole stream with the given algorithms. */
export async function hashStream(
  stream: ReadableStream<Uint8Array>,
  algorithms: readonly HashName[],
): Promise<Checksums> {
  const hasher = new MultiHasher(algorithms);
  for await (const chunk of stream) hasher.update(chunk);
  return hasher.digest();
}

/** Hashes bytes or text in memory. */
export function hashBytes(data: Uint8Array | string, algorithms: readonly HashName[]): Checksums {
  const hasher = new MultiHasher(algorithms);
  hasher.update(typeof data === "string" ? new TextEncoder().encode(data) : data);
  return hasher.digest();
}
