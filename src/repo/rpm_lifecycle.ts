/**
 * The RPM side of the package lifecycle: what retention and `mkrepo remove` take out of a run's
 * packages (groups, rpm's epoch-version-release order, first-seen times).
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";
import type { RpmPackage } from "../record/rpm_package.ts";
import { compareRpmEvr, parseEvr } from "../record/rpm_evr.ts";
import type { CleanupRecord, PendingPackages } from "../record/cleanup_record.ts";
import { lifecycleDrops, type LifecycleItem } from "../plan/lifecycle.ts";
import { recordDrops } from "./lifecycle.ts";
import type { RepoSummary } from "./run_types.ts";
import type { RpmUpdateOptions } from "./update_rpm.ts";

/**
 * Takes out of `packages` what `mkrepo remove` names and what retention drops (groups: name and
 * architecture; versions by epoch, version and release as rpm orders them; first seen: the
 * file's modification time, `time file`), records them as pending, and returns their keys.
 */
export function dropRpms(
  packages: readonly Pick<
    RpmPackage,
    "key" | "name" | "arch" | "epoch" | "version" | "release" | "mtime"
  >[],
  pending: PendingPackages,
  ctx: {
    options: Pick<RpmUpdateOptions, "lifecycle" | "path" | "events">;
    byKey: ReadonlyMap<string, ObjectInfo>;
    summary: RepoSummary;
    cleanup: CleanupRecord;
  },
): ReadonlySet<string> {
  const lifecycle = ctx.options.lifecycle;
  if (!lifecycle) return new Set();
  const now = Date.now();
  const evr = (text: string) => {
    const e = parseEvr(text);
    return { epoch: e.epoch ?? "0", version: e.ver ?? "", release: e.rel ?? "" };
  };
  const items: LifecycleItem[] = packages.map((p) => ({
    key: p.key,
    name: p.name,
    group: `${p.name}/${p.arch}`,
    version: `${p.epoch}:${p.version}-${p.release}`,
    firstSeen: p.mtime,
  }));
  const drops = lifecycleDrops(items, lifecycle, {
    compare: (a, b) => compareRpmEvr(evr(a), evr(b)),
    now,
    pending: ctx.cleanup.packages,
    path: ctx.options.path,
  });
  recordDrops(drops, pending, {
    byKey: ctx.byKey,
    now,
    summary: ctx.summary,
    events: ctx.options.events,
  });
  return new Set(drops.keys());
}
