/**
 * Bytes appended in place, for an index file's open form: a resizable ArrayBuffer reserves its
 * address space up front and grows where it is, so the bytes are held once. Chunks plus their
 * concatenation hold them twice, and a buffer that doubles by copying leaves outgrown copies
 * until a collection (a 21 MB Packages index: 42 MB held instead of 22 MB, measured).
 * @module
 */

/** Largest size; a longer text throws a RangeError naming it. */
export const GROWING_BYTES_MAX = 1024 * 1024 * 1024;

/** Appends bytes and UTF-8 text to one buffer; finish() hands out the result. */
export class GrowingBytes {
  #buffer = new ArrayBuffer(0, { maxByteLength: GROWING_BYTES_MAX });
  #length = 0;
  #encoder = new TextEncoder();

  /** Bytes appended so far. */
  get length(): number {
    return this.#length;
  }

  /** Appends `text` as UTF-8; returns a view of the bytes appended (valid until finish()). */
  appendText(text: string): Uint8Array {
    // At most three bytes per UTF-16 code unit.
    this.#reserve(text.length * 3);
    const start = this.#length;
    const { written } = this.#encoder.encodeInto(text, new Uint8Array(this.#buffer, start));
    this.#length += written;
    return new Uint8Array(this.#buffer, start, written);
  }

  /** Appends a copy of `bytes`; returns a view of the copy (valid until finish()). */
  append(bytes: Uint8Array): Uint8Array {
    this.#reserve(bytes.length);
    const view = new Uint8Array(this.#buffer, this.#length, bytes.length);
    view.set(bytes);
    this.#length += bytes.length;
    return view;
  }

  /** A view of the bytes appended so far (valid until the next append). */
  bytes(): Uint8Array {
    return new Uint8Array(this.#buffer, 0, this.#length);
  }

  /** The bytes appended, in a buffer trimmed to them; append nothing after. */
  finish(): Uint8Array {
    this.#buffer.resize(this.#length);
    return new Uint8Array(this.#buffer);
  }

  #reserve(more: number): void {
    const need = this.#length + more;
    if (need <= this.#buffer.byteLength) return;
    if (need > GROWING_BYTES_MAX) {
      throw new RangeError(`more than ${GROWING_BYTES_MAX} bytes in one index file`);
    }
    // Pages are committed as they are written: growing ahead costs address space, not memory.
    this.#buffer.resize(Math.min(GROWING_BYTES_MAX, Math.max(need, this.#buffer.byteLength * 2)));
  }
}
