/**
 * Is the published generation whole? The checks a run makes before it decides that nothing
 * needs publishing, so that any earlier fault — a crash between two writes, a lost answer, a
 * run that lost a race after replacing files — is repaired by the next run instead of being
 * called "up to date": every file at its usual name holds what its entry point says, and every
 * signature verifies the bytes it signs with the run's key.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import { readAll, readText } from "../storage/storage.ts";
import type { Checksums } from "../record/checksums.ts";
import { MultiHasher } from "../util/multi_hasher.ts";
import { readFileRange } from "../util/local_file.ts";
import type { Signer } from "../sign/signer.ts";
import type { ParsedRelease } from "../index/deb/release_file.ts";

/**
 * True when the object holds the content `expected` describes. An S3 ETag that equals the
 * expected MD5 (single-part uploads) settles it without a read; anything else is read and
 * hashed (local files, multipart or encrypted uploads, and every mismatch).
 */
export async function holdsContent(
  storage: Storage,
  info: ObjectInfo | undefined,
  expected: Checksums,
): Promise<boolean> {
  if (!info || info.size !== expected.size) return false;
  const md5 = expected.md5?.toLowerCase();
  if (md5 && info.etag.replace(/"/g, "").toLowerCase() === md5) return true;
  const [algorithm, want] = md5
    ? ["md5" as const, md5]
    : ["sha256" as const, expected.sha256?.toLowerCase()];
  if (!want) return false;
  const hasher = new MultiHasher([algorithm]);
  // A local file is read through one small buffer: a 22 MB index streamed in pooled 1 MiB
  // chunks left them all as garbage for the collector.
  const file = storage.localFile?.(info.key);
  if (file) readFileRange(file.path, 0, undefined, (bytes) => hasher.update(bytes));
  else for await (const chunk of await storage.read(info.key)) hasher.update(chunk);
  return hasher.digest()[algorithm] === want;
}

/** Why a set of entry points is not whole, or undefined when it is. */
export type Flaw = string | undefined;

/**
 * Checks a Debian dist's entry points: signed with `signer` — InRelease and Release.gpg verify
 * with its key and InRelease signs exactly Release; unsigned — Release alone.
 */
export async function debEntryFlaw(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  base: string,
  signer: Signer | undefined,
): Promise<Flaw> {
  const has = (name: string) => byKey.has(base + name);
  if (!has("Release")) return "no Release";
  if (!signer) {
    return has("InRelease") || has("Release.gpg") ? "signed, unsigned wanted" : undefined;
  }
  if (!has("InRelease") || !has("Release.gpg")) return "a signature is missing";
  const { verifyClearSigned, verifyDetached } = await import("../sign/openpgp_verify.ts");
  const key = await signer.publicKeyArmored();
  const release = await readAll(storage, base + "Release");
  const inRelease = await verifyClearSigned(await readText(storage, base + "InRelease"), key);
  if (!inRelease.ok) return `InRelease does not verify (${inRelease.reason})`;
  if (inRelease.signedText?.trimEnd() !== new TextDecoder().decode(release).trimEnd()) {
    return "InRelease and Release differ";
  }
  const detached = await verifyDetached(
    release,
    await readText(storage, base + "Release.gpg"),
    key,
  );
  return detached.ok ? undefined : `Release.gpg does not verify (${detached.reason})`;
}

/** Checks repomd.xml's signature: present and verifying with `signer`'s key, or absent. */
export async function detachedSignatureFlaw(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  key: string,
  data: Uint8Array,
  signer: Signer | undefined,
): Promise<Flaw> {
  const sigKey = key + ".asc";
  if (!signer) return byKey.has(sigKey) ? "signed, unsigned wanted" : undefined;
  if (!byKey.has(sigKey)) return "the signature is missing";
  const { verifyDetached } = await import("../sign/openpgp_verify.ts");
  const r = await verifyDetached(
    data,
    await readText(storage, sigKey),
    await signer.publicKeyArmored(),
  );
  return r.ok ? undefined : `${sigKey} does not verify (${r.reason})`;
}

/**
 * The index files of a dist's Release that are whole — the usual name holds what Release says
 * and both by-hash copies exist — by path relative to the dist, with their checksums. `checked`
 * names paths whose usual name is already known to hold what Release says (read this run).
 */
export async function wholeIndexes(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  base: string,
  release: ParsedRelease | undefined,
  checked?: ReadonlySet<string>,
): Promise<Map<string, Checksums>> {
  const whole = new Map<string, Checksums>();
  for (const [path, c] of release?.entries ?? []) {
    if (!c.md5 || !c.sha1 || !c.sha256 || !c.sha512) continue;
    const dir = base + path.slice(0, path.lastIndexOf("/") + 1);
    if (
      byKey.has(`${dir}by-hash/SHA256/${c.sha256}`) &&
      byKey.has(`${dir}by-hash/SHA512/${c.sha512}`) &&
      (checked?.has(path) || await holdsContent(storage, byKey.get(base + path), c))
    ) {
      whole.set(path, c);
    }
  }
  return whole;
}
