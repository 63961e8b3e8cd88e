/**
 * Index files as the publisher sees them: a key, the stored bytes, and the stats of both the
 * stored (possibly compressed) form and the open (uncompressed) form, computed while encoding.
 * @module
 */
import type { Checksums } from "../record/checksums.ts";

/** One generated metadata file ready to publish. */
export interface IndexFile {
  /** Storage key relative to the repository root. */
  key: string;
  /** Bytes as stored. */
  data: Uint8Array;
  /** Size and digests of `data`. */
  checksums: Checksums;
  /** Size and digests of the uncompressed content (same as `checksums` when not compressed). */
  open: Checksums;
  contentType: string;
  /**
   * True when the file is already published with exactly this content: `data` is then empty
   * and `checksums` are the published ones (nothing is encoded or written).
   */
  reused?: boolean;
}
