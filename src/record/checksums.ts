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

/** Every digest mkrepo computes, in the order indexes and Release files list them. */
export const HASH_NAMES: readonly HashName[] = ["md5", "sha1", "sha256", "sha512"];

/**
 * Digests of a Packages or Sources entry unless the settings ask for more (`--deb-hashes`):
 * apt needs SHA256, MD5sum keeps older tools working.
 */
export const DEFAULT_DEB_HASHES: readonly HashName[] = ["md5", "sha256"];

/** Whether `name` is a digest mkrepo computes. */
export function isHashName(name: string): name is HashName {
  return (HASH_NAMES as readonly string[]).includes(name);
}

/** Whether `checksums` holds every digest of `hashes`. */
export function hasDigests(checksums: Checksums, hashes: readonly HashName[]): boolean {
  return hashes.every((h) => checksums[h] !== undefined);
}
