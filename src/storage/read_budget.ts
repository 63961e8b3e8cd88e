/**
 * The memory budget the S3 backend's ranged reads share (s3_ranged_read.ts): bytes fetched or
 * in flight and not yet handed to a reader.
 * @module
 */

/**
 * Bytes that the ranged reads of one storage may hold: fetched or in flight, not yet handed to
 * their readers. Each part takes its length when it starts and gives it back as its bytes are
 * handed over. Parts fetched ahead wait for room, first come first served; the part a read
 * needs next is taken at once ({@linkcode force}), so the total may exceed the limit by at most
 * one part per open read.
 */
export class ReadBudget {
  readonly limit: number;
  #used = 0;
  #peak = 0;
  #waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes taken now. */
  get used(): number {
    return this.#used;
  }

  /** Most bytes taken at once so far. */
  get peak(): number {
    return this.#peak;
  }

  /** Takes `bytes` if they fit and nobody waits; true when taken. */
  tryTake(bytes: number): boolean {
    if (this.#waiting.length > 0 || this.#used + bytes > this.limit) return false;
    this.force(bytes);
    return true;
  }

  /** Takes `bytes` at once, over the limit if need be. */
  force(bytes: number): void {
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }

  /**
   * Calls `grant` (synchronously, from a later `release`) once `bytes` are taken for the
   * caller, after the earlier waiters. Returns a function that withdraws the request.
   */
  wait(bytes: number, grant: () => void): () => void {
    const entry = { bytes, grant };
    this.#waiting.push(entry);
    return () => {
      const i = this.#waiting.indexOf(entry);
      if (i >= 0) this.#waiting.splice(i, 1);
      this.#grant(); // a withdrawn first request may have held back smaller ones
    };
  }

  /** Gives `bytes` back and lets waiting requests in. */
  release(bytes: number): void {
    this.#used -= bytes;
    this.#grant();
  }

  #grant(): void {
    while (this.#waiting.length > 0 && this.#used + this.#waiting[0].bytes <= this.limit) {
      const entry = this.#waiting.shift()!;
      this.force(entry.bytes);
      entry.grant();
    }
  }
}
