/**
 * Reads what an existing RPM repository publishes (repomd.xml, then primary.xml as a stream) so
 * a run can reuse the records of unchanged packages: location, size and file time tell whether
 * a record still describes its file. Records stay compact (published_package.ts); filelists and
 * other are attached only when the run rewrites the metadata. Works on repositories written by
 * createrepo_c and by the original mkrepo.
 * @module
 */
import { type ObjectInfo, readAll, type Storage } from "../storage/storage.ts";
import { decompress } from "../util/decompress.ts";
import {
  attachRepodata,
  type PublishedRpmPackage,
  readPublishedPrimary,
} from "../index/rpm/published_package.ts";
import { hasCompleteRepodata, readRepomd, REPOMD, type Repomd } from "../index/rpm/repomd_xml.ts";

/**
 * True when a published record still describes the file: same location, size and file time in
 * whole seconds (as repodata keeps it).
 */
export function rpmRecordCurrent(record: PublishedRpmPackage, object: ObjectInfo): boolean {
  return record.packageSize === object.size && record.fileTime === Math.floor(object.mtime / 1000);
}

/** What the repository currently publishes. */
export interface PublishedRpm {
  repomd?: Repomd;
  /** repomd.xml as published, for its signature check. */
  repomdBytes?: Uint8Array;
  etag?: string;
  /** Records from primary.xml, by location (filelists and other not attached yet). */
  packages: Map<string, PublishedRpmPackage>;
  /** True when repomd.xml lacks primary, filelists or other: every package is read again. */
  incomplete?: boolean;
  /** Attaches filelists and other to `packages` (needed only when something is rewritten). */
  complete: () => Promise<void>;
}

const xzHook = {
  decompress: (s: ReadableStream<Uint8Array>, format: "xz" | "bzip2") =>
    decompress(s, format === "xz" ? "xz" : "none", {
      key: REPOMD,
      name: format,
      maxOutput: 8 * 2 ** 30,
    }),
};

/**
 * Reads what the repository publishes: repomd.xml, and primary.xml's records (filelists and
 * other are attached on demand). Nothing is reused when repomd.xml lacks primary, filelists or
 * other (`incomplete`).
 */
export async function readPublishedRpm(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
): Promise<PublishedRpm> {
  const out: PublishedRpm = { packages: new Map(), complete: () => Promise.resolve() };
  if (!byKey.has(REPOMD)) return out;
  out.etag = byKey.get(REPOMD)!.etag;
  out.repomdBytes = await readAll(storage, REPOMD);
  out.repomd = readRepomd(new TextDecoder().decode(out.repomdBytes), {
    key: storage.describe(REPOMD),
  });
  if (!hasCompleteRepodata(out.repomd.records)) {
    out.incomplete = true;
    return out;
  }
  const open = async (type: string) => {
    const rec = out.repomd!.records.find((r) => r.type === type)!;
    const key = rec.location.href;
    if (!byKey.has(key)) return undefined;
    return { key, stream: await storage.read(key) };
  };
  const primary = await open("primary");
  if (!primary) return out;
  const packages = await readPublishedPrimary(primary.stream, { ...xzHook, key: primary.key });
  for (const p of packages) out.packages.set(p.key, p);
  out.complete = async () => {
    await attachRepodata(packages, {
      filelists: await open("filelists"),
      other: await open("other"),
    }, xzHook);
  };
  return out;
}
