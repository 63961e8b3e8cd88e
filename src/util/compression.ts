/**
 * The compression formats mkrepo reads and writes, and their file-name suffixes: one type for
 * the decoders (util/decompress.ts) and the index encoders (index/compress.ts).
 * @module
 */

/** A compression format ("none": the plain form). */
export type Compression = "none" | "gzip" | "xz" | "zstd";

/** File-name suffix of each compression. */
export const compressionSuffix: Record<Compression, string> = {
  none: "",
  gzip: ".gz",
  xz: ".xz",
  zstd: ".zst",
};
