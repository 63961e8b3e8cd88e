/**
 * Plan entries every generation may carry, for both formats: how to put back a file the run
 * replaces, malformed_list.txt, and the signing public key published next to the metadata
 * (`--public-key NAME`, written only when missing or different, so an unchanged repository
 * stays untouched).
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import { escapeControl } from "../errors.ts";
import type { Signer } from "../sign/signer.ts";
import { CACHE_INDEX, type OutputFile, type Restore } from "./publish_plan.ts";

/** How to put `key` back as it is now: its current bytes, or remove it if it does not exist. */
export async function restoreFor(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
  key: string,
): Promise<Restore> {
  return byKey.has(key) ? { kind: "bytes", data: await readAll(storage, key) } : { kind: "remove" };
}

/**
 * Plans malformed_list.txt (as the original mkrepo): written with the other indexes when
 * packages were skipped, else removed if present. One key a line, control characters escaped so
 * a key never spans two lines.
 */
export async function planMalformedList(
  indexes: OutputFile[],
  remove: string[],
  key: string,
  malformed: readonly string[],
  restoreFor: (key: string) => Promise<Restore>,
): Promise<void> {
  const restore = await restoreFor(key);
  if (malformed.length > 0) {
    indexes.push({
      key,
      data: malformed.map(escapeControl).join("\n") + "\n",
      contentType: "text/plain; charset=utf-8",
      cacheControl: CACHE_INDEX,
      restore,
    });
  } else if (restore.kind !== "remove") remove.push(key);
}

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
