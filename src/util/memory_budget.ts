/**
 * One process-wide budget of bytes for the memory a package read holds while it decodes: the
 * compressed control.tar of a .deb and its decompressor's buffers, an rpm header block and
 * what its entries expand to. Each read reserves its bound (computed from the sizes the package
 * declares, before anything is allocated) and releases it when done, so however many packages
 * are read at once (`--concurrency`), the decoding memory stays under the budget.
 *
 * Reservations are granted in request order (a large one is not starved by small ones). A
 * reservation larger than the whole budget waits until nothing else is held, then runs alone:
 * it is the caller's own cap (e.g. the control.tar size limit) that bounds it.
 * @module
 */

/**
 * Default size of the decoding budget: three gzip control.tar decodings, one zstd one, or a
 * header of ~100k decoded values at a time. Measured (tests/e2e/memory_bounds_test.ts): 32
 * control.tar bombs of 200 MiB at --concurrency 32 peak at 175–250 MiB RSS for the whole run,
 * most of it the runtime and the readers' own buffers; with 48 MiB they reached ~260 MiB.
 */
export const DEFAULT_DECODE_BUDGET = 16 * 1024 * 1024;

/** Gives a reservation back; calling it again does nothing. */
export type Release = () => void;

/** A budget of bytes shared by concurrent tasks. */
export class MemoryBudget {
  readonly limit: number;
  #used = 0;
  #queue: { bytes: number; grant: () => void }[] = [];

  constructor(limit: number) {
    if (!(limit > 0)) throw new RangeError(`budget must be positive, got ${limit}`);
    this.limit = limit;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** Reserves `bytes` (at most the whole budget is counted), waiting for room if needed. */
  async reserve(bytes: number): Promise<Release> {
    const amount = Math.min(Math.max(0, Math.ceil(bytes)), this.limit);
    if (this.#queue.length > 0 || this.#used + amount > this.limit) {
      await new Promise<void>((grant) => this.#queue.push({ bytes: amount, grant }));
    } else {
      this.#used += amount;
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#used -= amount;
      this.#grant();
    };
  }

  #grant(): void {
    while (this.#queue.length > 0 && this.#used + this.#queue[0].bytes <= this.limit) {
      const next = this.#queue.shift()!;
      this.#used += next.bytes;
      next.grant();
    }
  }
}

/** The budget every package reader of this process shares. */
export const decodeBudget: MemoryBudget = new MemoryBudget(DEFAULT_DECODE_BUDGET);
