/**
 * Public read for packages: mkrepo writes its own files with the public-read ACL, but packages
 * are uploaded by users (`aws s3 cp` without `--acl`), so the run gives them the ACL too — the
 * packages it adds or changes, or every package once when public read is turned on.
 * @module
 */
import { runPooled } from "../util/bounded_pool.ts";
import type { RepoKind } from "../plan/layout.ts";
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";

/** True for files clients download besides the metadata (everything under pool/ or Packages/). */
export function isPackageFile(key: string, kind: RepoKind): boolean {
  return key.startsWith(kind === "deb" ? "pool/" : "Packages/");
}

/** Which packages need the ACL: every one when public read is new, else the new and changed. */
export function packagesNeedingPublicRead(
  kind: RepoKind,
  objects: readonly ObjectInfo[],
  summary: RepoSummary,
  everything: boolean,
): string[] {
  if (everything) return objects.map((o) => o.key).filter((k) => isPackageFile(k, kind));
  const keys = new Set([...summary.addedKeys, ...summary.changedKeys]);
  // A source package's other files (.orig.tar.*, .debian.tar.*) sit next to its .dsc.
  const dirs = [...keys].filter((k) => k.endsWith(".dsc")).map((k) =>
    k.slice(0, k.lastIndexOf("/") + 1)
  );
  for (const o of objects) {
    if (dirs.some((d) => o.key.startsWith(d) && !o.key.slice(d.length).includes("/"))) {
      keys.add(o.key);
    }
  }
  return [...keys].filter((k) => !summary.malformed.includes(k));
}

/** Options of applyPublicRead(). */
export interface PublicReadOptions {
  events: RunEvents;
  dryRun?: boolean;
  concurrency?: number;
}

/** Gives each key the public-read ACL (one request each), reporting progress. */
export async function applyPublicRead(
  storage: Storage,
  keys: readonly string[],
  options: PublicReadOptions,
): Promise<void> {
  if (keys.length === 0 || !storage.setPublicRead) return;
  const { events } = options;
  if (options.dryRun) {
    events.info(`would give ${keys.length} package file(s) the public-read ACL`);
    return;
  }
  const total = keys.length;
  const step = Math.max(100, Math.ceil(total / 10));
  if (total > 1) events.info(`Giving ${total} package files the public-read ACL`);
  let done = 0;
  await runPooled(keys, options.concurrency ?? 16, async (key) => {
    await storage.setPublicRead!(key);
    events.detail(`Public read: ${key}`);
    done++;
    if (done % step === 0 && done < total) events.info(`public read: ${done}/${total} files`);
  });
}
