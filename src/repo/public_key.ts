/**
 * The signing public key published next to the metadata (`--public-key NAME`), written only
 * when it is missing or different, so an unchanged repository stays untouched.
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import { CACHE_INDEX, type OutputFile } from "../publish/publish_plan.ts";
import type { Signer } from "../sign/signer.ts";

/** The key file to publish, or undefined when there is nothing (new) to write. */
export async function publicKeyFile(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  signer: Signer | undefined,
  name: string | undefined,
): Promise<OutputFile | undefined> {
  if (!signer || !name) return undefined;
  const armored = await signer.publicKeyArmored();
  let previous: Uint8Array | undefined;
  if (byKey.has(name)) {
    previous = await readAll(storage, name);
    if (new TextDecoder().decode(previous) === armored) return undefined;
  }
  return {
    key: name,
    data: armored,
    contentType: "application/pgp-keys",
    cacheControl: CACHE_INDEX,
    restore: previous ? { kind: "bytes", data: previous } : { kind: "remove" },
  };
}
