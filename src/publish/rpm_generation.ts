/**
 * The RPM repodata's next generation in the publish plan: the checksum-named metadata files,
 * repomd.xml (records mkrepo does not produce are kept), its detached signature and
 * malformed_list.txt; whether the published generation is whole and current; and which files
 * under repodata/ no generation names (the cleanup starts from them).
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import {
  REPOMD,
  type Repomd,
  type RepomdRecord,
  splitRecords,
  writeRepomd,
} from "../index/rpm/repomd_xml.ts";
import { type MetadataFile, metadataRecord } from "../index/rpm/metadata_file.ts";
import type { Signer } from "../sign/signer.ts";
import {
  CACHE_ENTRY,
  CACHE_IMMUTABLE,
  type PublishPlan,
  type PublishUnit,
} from "./publish_plan.ts";
import { detachedSignatureFlaw } from "./intact.ts";
import { planMalformedList, restoreFor } from "./plan_files.ts";

/** Key of the list of malformed packages skipped with --force. */
export const RPM_MALFORMED_KEY = "repodata/malformed_list.txt";

/** The repodata's generation, as the wiring built it. */
export interface RpmGeneration {
  storage: Storage;
  byKey: ReadonlyMap<string, ObjectInfo>;
  /** repomd.xml as published, with its bytes (for its signature) and etag; none: new. */
  published?: { repomd: Repomd; bytes: Uint8Array; etag?: string };
  /** Malformed package keys (malformed_list.txt). */
  malformed: readonly string[];
  signer?: Signer;
}

/**
 * True when the published generation is whole and stays as it is: `produced` accepts its
 * primary, filelists and other records (the caller's test of "the same files"), each exists,
 * it names no file derived from them (sqlite databases, which would be stale), the malformed
 * list is unchanged (none), and the signature verifies the bytes it signs with the run's key,
 * so a crash or a lost answer between repomd.xml and its signature is repaired by the next run.
 */
export async function repodataCurrent(
  gen: RpmGeneration,
  produced: (records: readonly RepomdRecord[]) => boolean,
): Promise<boolean> {
  const { published, byKey } = gen;
  if (!published) return false;
  const old = splitRecords(published.repomd.records);
  return produced(old.produced) && old.produced.every((r) => byKey.has(r.location.href)) &&
    old.derived.length === 0 && gen.malformed.length === 0 && !byKey.has(RPM_MALFORMED_KEY) &&
    await detachedSignatureFlaw(gen.storage, byKey, REPOMD, published.bytes, gen.signer) ===
      undefined;
}

/**
 * Adds the repodata's next generation to the plan: `files` are primary, filelists and other
 * (checksum-named, so unchanged content keeps its name and its repomd record). Returns the keys
 * the new repomd.xml names.
 */
export async function planRpmGeneration(
  plan: PublishPlan,
  gen: RpmGeneration,
  files: readonly MetadataFile[],
  date: Date,
): Promise<string[]> {
  const { storage, byKey, published, signer } = gen;
  const old = published ? splitRecords(published.repomd.records) : undefined;
  const timestamp = Math.floor(date.getTime() / 1000);
  const produced = files.map((f) =>
    old?.produced.find((r) => r.location.href === f.key) ?? metadataRecord(f, timestamp)
  );
  const kept: RepomdRecord[] = old?.kept ?? [];
  const repomd = writeRepomd({
    revision: String(timestamp),
    records: [...produced, ...kept],
    extras: published?.repomd.extras,
  });

  const namedNow = new Set(published?.repomd.records.map((r) => r.location.href));
  for (const f of files) {
    // Written again when only an older generation names it: it may be due for cleanup.
    if (!byKey.has(f.key) || !namedNow.has(f.key)) {
      plan.content.push({
        key: f.key,
        data: f.data,
        contentType: f.contentType,
        cacheControl: CACHE_IMMUTABLE,
      });
    }
  }
  const restore = (key: string) => restoreFor(storage, byKey, key);
  const unit: PublishUnit = {
    entry: {
      key: REPOMD,
      data: repomd,
      contentType: "application/xml",
      cacheControl: CACHE_ENTRY,
      restore: await restore(REPOMD),
    },
    condition: { etag: published?.etag },
    indexes: [],
    entryPoints: [],
  };
  plan.units.push(unit);
  await planMalformedList(unit.indexes, plan.remove, RPM_MALFORMED_KEY, gen.malformed, restore);
  if (signer) {
    unit.entryPoints.push({
      key: REPOMD + ".asc",
      data: await signer.detachSign(repomd),
      contentType: "application/pgp-signature",
      cacheControl: CACHE_ENTRY,
      restore: await restore(REPOMD + ".asc"),
    });
  } else if (byKey.has(REPOMD + ".asc")) plan.remove.push(REPOMD + ".asc");
  return [...produced, ...kept].map((r) => r.location.href);
}

/**
 * Keys under repodata/ that `named` (the files of the repomd.xml published once the run is
 * done) does not name, apart from repodata's own entry points and files being removed anyway.
 */
export function unreferencedRepodata(
  byKey: ReadonlyMap<string, ObjectInfo>,
  named: readonly string[],
  removing: readonly string[],
): string[] {
  const keep = new Set([...named, REPOMD, REPOMD + ".asc", RPM_MALFORMED_KEY, ...removing]);
  return [...byKey.keys()].filter((k) => k.startsWith("repodata/") && !keep.has(k));
}
