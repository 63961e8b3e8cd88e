/**
 * A small free list of 1 MiB read buffers. Allocating a fresh buffer for every read costs page
 * faults and zeroing (reading a file into new 1 MiB buffers ran 2–3× slower than into reused
 * ones), and garbage buffers handed to another thread pile up there. Readers take a buffer
 * here; whoever is last to use it (the hash worker's acknowledgement, or the byte reader when it
 * hashed in place) gives it back. A buffer never given back is simply collected.
 * @module
 */

/** Size of the pooled buffers. */
export const POOL_BUFFER_SIZE = 1024 * 1024;
/**
 * Free buffers kept: the S3 read-ahead (4 packages and 16 MiB ahead) missed the pool 50–80
 * times a run with 8, and the fresh buffers cost RSS until collected.
 */
const MAX_FREE = 32;
const free: ArrayBuffer[] = [];

/** A buffer of `size` bytes (contents unspecified): a pooled one when size is the pool's. */
export function takeBuffer(size = POOL_BUFFER_SIZE): Uint8Array {
  if (size === POOL_BUFFER_SIZE) {
    const buffer = free.pop();
    if (buffer) return new Uint8Array(buffer);
  }
  return new Uint8Array(size);
}

/**
 * Gives a buffer back for reuse. Only call it when nothing refers to the buffer any more;
 * buffers of another size, detached or shared ones, and any beyond the pool's size are dropped.
 */
export function giveBuffer(buffer: ArrayBufferLike): void {
  if (
    buffer instanceof ArrayBuffer && buffer.byteLength === POOL_BUFFER_SIZE &&
    !buffer.resizable && free.length < MAX_FREE && !free.includes(buffer)
  ) {
    free.push(buffer);
  }
}
