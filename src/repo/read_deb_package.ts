/**
 * Reads one Debian package file into its record: a .deb or .udeb through the byte source the
 * storage offers, a .dsc as text, completed with the digests its checksum lists lack by hashing
 * the files it lists (which must be listed next to it, with the sizes it says).
 * @module
 */
import { type ObjectInfo, readSource, type Storage } from "../storage/storage.ts";
import { debFileKind, type DebPackage, type DebSource } from "../record/deb_package.ts";
import { hasDigests, type HashName } from "../record/checksums.ts";
import { MkrepoError } from "../errors.ts";
import { readDeb } from "../reader/deb/read_deb.ts";
import { readDsc } from "../reader/deb/read_dsc.ts";
import { hashStream } from "../reader/hashing.ts";

/** Reads the package file `o` (a .deb, .udeb or .dsc) with the digests `hashes`. */
export async function readDebPackage(
  storage: Storage,
  o: ObjectInfo,
  options: { hashes: readonly HashName[]; byKey: ReadonlyMap<string, ObjectInfo> },
): Promise<DebPackage | DebSource> {
  const { hashes } = options;
  const kind = debFileKind(o.key)!;
  const meta = { key: o.key, hashes: [...hashes], mtime: o.mtime, etag: o.etag };
  if (kind !== "dsc") {
    return await readDeb(await readSource(storage, o.key, { size: o.size }), { ...meta, kind });
  }
  const src = await readDsc(await storage.read(o.key), meta);
  await completeSourceHashes(storage, src, hashes, options.byKey);
  return src;
}

/** For a .dsc whose checksum lists lack a requested digest, hashes the listed files. */
async function completeSourceHashes(
  storage: Storage,
  src: DebSource,
  hashes: readonly HashName[],
  byKey: ReadonlyMap<string, ObjectInfo>,
): Promise<void> {
  const dir = src.key.slice(0, src.key.lastIndexOf("/") + 1);
  for (const f of src.files.slice(1)) {
    const key = dir + f.name;
    const obj = byKey.get(key);
    if (!obj) {
      throw new MkrepoError({
        code: "malformed-package",
        key: src.key,
        reason: `it lists ${f.name}, which is not in ${dir || "the repository root"}`,
      });
    }
    if (obj.size !== f.checksums.size) {
      throw new MkrepoError({
        code: "malformed-package",
        key: src.key,
        reason:
          `it lists ${f.name} with size ${f.checksums.size}, but the file has ${obj.size} bytes`,
      });
    }
    if (!hasDigests(f.checksums, hashes)) {
      const sums = await hashStream(await readSource(storage, key, { size: obj.size }), hashes);
      f.checksums = { ...sums, ...f.checksums };
    }
  }
}
