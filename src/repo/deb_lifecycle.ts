/**
 * The Debian side of the package lifecycle: what retention and `mkrepo remove` take out of a
 * run's packages and sources (groups, dpkg's version order, first-seen times), the files of a
 * source package.
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";
import type { DebPackage, DebSource } from "../record/deb_package.ts";
import { compareDebVersions } from "../record/deb_version.ts";
import { poolPlace } from "../plan/pool_path.ts";
import type { CleanupRecord, PendingPackages } from "../record/cleanup_record.ts";
import { lifecycleDrops, type LifecycleItem } from "../plan/lifecycle.ts";
import { recordDrops } from "./lifecycle.ts";
import type { RepoSummary } from "./run_types.ts";
import type { DebUpdateOptions } from "./update_deb.ts";

/** The keys of a source package's files: the .dsc and those it lists, in its folder. */
export function sourceFiles(src: DebSource): string[] {
  const dir = src.key.slice(0, src.key.lastIndexOf("/") + 1);
  return [src.key, ...src.files.slice(1).map((f) => dir + f.name)];
}

/**
 * Takes out of `packages` and `sources` what `mkrepo remove` names and what retention drops,
 * and records them as pending. Groups: dist/component/kind/name/architecture for binary
 * packages, dist/component/name for source packages; versions in dpkg's order; first seen
 * is the file's modification time (FileTime).
 */
export function dropPackages(
  packages: Map<string, DebPackage>,
  sources: Map<string, DebSource>,
  pending: PendingPackages,
  ctx: {
    options: Pick<DebUpdateOptions, "lifecycle" | "path" | "events">;
    components: Set<string>;
    byKey: ReadonlyMap<string, ObjectInfo>;
    summary: RepoSummary;
    now: number;
    cleanup: CleanupRecord;
  },
): void {
  const lifecycle = ctx.options.lifecycle;
  if (!lifecycle) return;
  const place = (key: string) => {
    const p = poolPlace(key, ctx.components);
    return `${p.dist}/${p.component}`;
  };
  const items: LifecycleItem[] = [
    ...[...packages.values()].map((p) => ({
      key: p.key,
      name: p.name,
      group: `${place(p.key)}/${p.kind}/${p.name}/${p.architecture}`,
      version: p.version,
      firstSeen: p.mtime,
    })),
    ...[...sources.values()].map((s) => ({
      key: s.key,
      name: s.name,
      group: `${place(s.key)}/source/${s.name}`,
      version: s.version,
      firstSeen: s.mtime,
    })),
  ];
  const drops = lifecycleDrops(items, lifecycle, {
    compare: compareDebVersions,
    now: ctx.now,
    pending: ctx.cleanup.packages,
    path: ctx.options.path,
  });
  recordDrops(drops, pending, {
    byKey: ctx.byKey,
    now: ctx.now,
    summary: ctx.summary,
    events: ctx.options.events,
    files: (key) => {
      const src = sources.get(key);
      return src ? sourceFiles(src) : [key];
    },
  });
  for (const key of drops.keys()) {
    packages.delete(key);
    sources.delete(key);
  }
}
