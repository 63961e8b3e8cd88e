/** Size and hex digests of a file; which digests are present depends on what was asked for. */
export interface Checksums {
  size: number;
  md5?: string;
  sha1?: string;
  sha256?: string;
  sha512?: string;
}

/** Digest algorithms mkrepo computes. */
export type HashName = "md5" | "sha1" | "sha256" | "sha512";
