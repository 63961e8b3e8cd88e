/**
 * Plan entries every generation may carry, for both formats: how to put back a file the run
 * replaces, malformed_list.txt, and the signing public key published next to the metadata
 * (`--public-key NAME`, written only when missing or different, so an unchanged repository
 * stays untouched), and the record of what the Debian indexes were built from.
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import { escapeControl } from "../errors.ts";
import type { Signer } from "../sign/signer.ts";
import { CACHE_INDEX, type OutputFile, type Restore } from "./publish_plan.ts";
import { type IndexInputs, indexInputsText, INPUTS_KEY } from "../record/index_inputs.ts";

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

/**
 * The record of what the Debian indexes were built from (record/index_inputs.ts), or undefined
 * when it is incomplete (a dist whose Release this run neither wrote nor read) or already
 * published as is. Restored like any shared file if the publication fails.
 */
export function indexInputsFile(
  inputs: Omit<IndexInputs, "releases"> & { releases: Map<string, string | undefined> },
  publishedText: string | undefined,
): OutputFile | undefined {
  const releases = new Map<string, string>();
  for (const [dist, sha] of inputs.releases) {
    if (sha === undefined) return undefined;
    releases.set(dist, sha);
  }
  const text = indexInputsText({ ...inputs, releases });
  if (text === publishedText) return undefined;
  return {
    key: INPUTS_KEY,
    data: text,
    contentType: "application/json",
    cacheControl: CACHE_INDEX,
    restore: publishedText !== undefined
      ? { kind: "bytes", data: publishedText }
      : { kind: "remove" },
  };
}
