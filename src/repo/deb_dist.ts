/**
 * One dist of a Debian repository: which architectures and components it declares, its
 * Packages/Sources indexes (published ones reused when whole and the same) and its Release
 * fields; publish/deb_generation.ts turns them into the dist's next generation.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import type { DebPackage, DebSource } from "../record/deb_package.ts";
import type { HashName } from "../record/checksums.ts";
import { MkrepoError } from "../errors.ts";
import { poolPlace } from "../plan/pool_path.ts";
import {
  packagesIndex,
  type PublishedParagraphs,
  sourcesIndex,
} from "../index/deb/packages_index.ts";
import type { PublishedDeb } from "../plan/published_deb.ts";
import type { IndexFile } from "../index/index_file.ts";
import type { PublishPlan } from "../publish/publish_plan.ts";
import type { ParsedRelease, ReleaseMeta } from "../index/deb/release_file.ts";
import { wholeIndexes } from "../publish/intact.ts";
import { planDebGeneration } from "../publish/deb_generation.ts";
import type { Signer } from "../sign/signer.ts";

/** Architectures a dist declares when it holds only `all` packages and none were declared. */
export const FALLBACK_ARCHITECTURES = ["amd64", "arm64"];

/** Release metadata and signing settings of a Debian update. */
export interface DistOptions {
  architectures?: string[];
  origin?: string;
  label?: string;
  description?: string;
  date?: Date;
  signer?: Signer;
}

/** Everything planDist() needs about the run. */
export interface DistContext {
  storage: Storage;
  options: DistOptions;
  hashes: HashName[];
  components: Set<string>;
  packages: DebPackage[];
  sources: DebSource[];
  published: PublishedDeb;
  /** Reads the paragraphs of kept packages held by place (readPublishedDeb `byPlace`). */
  paragraphs?: PublishedParagraphs;
  byKey: ReadonlyMap<string, ObjectInfo>;
  malformed: string[];
  plan: PublishPlan;
  /** Receives every key the dist's generation names once the run is done. */
  named: Set<string>;
  /** Receives every key the dist's generation published before the run names. */
  namedBefore: Set<string>;
}

/**
 * Builds one dist's indexes and Release fields and adds its generation to the publish plan;
 * returns the new Release text (undefined: the published generation stays).
 */
export async function planDist(dist: string, ctx: DistContext): Promise<string | undefined> {
  const { options, components, byKey } = ctx;
  const base = `dists/${dist}/`;
  const old = ctx.published.dists.get(dist);

  const used = { architectures: new Set<string>(), components: new Set<string>() };
  for (const p of ctx.packages) {
    used.components.add(poolPlace(p.key, components).component);
    used.architectures.add(p.architecture);
  }
  for (const s of ctx.sources) used.components.add(poolPlace(s.key, components).component);
  const meta = distMeta(dist, options, old?.release, used, components);
  const archList = meta.architectures;
  const compList = meta.components;

  // Published index files that are whole: their usual name holds what Release says and both
  // by-hash copies exist. Only those are reused; anything else is written again.
  const whole = await wholeIndexes(ctx.storage, byKey, base, old?.release, old?.readIntact);
  const published = (path: string) => whole.get(path);
  const files: IndexFile[] = [];
  for (const comp of compList) {
    const inComp = ctx.packages.filter((p) => poolPlace(p.key, components).component === comp);
    const debs = inComp.filter((p) => p.kind !== "udeb");
    const udebs = inComp.filter((p) => p.kind === "udeb");
    for (const arch of archList) {
      const pick = (list: DebPackage[]) =>
        list.filter((p) => p.architecture === arch || p.architecture === "all");
      files.push(
        ...await packagesIndex(
          `${comp}/binary-${arch}/Packages`,
          pick(debs),
          ctx.hashes,
          published,
          ctx.paragraphs,
        ),
      );
      if (udebs.length > 0) {
        files.push(
          ...await packagesIndex(
            `${comp}/debian-installer/binary-${arch}/Packages`,
            pick(udebs),
            ctx.hashes,
            published,
            ctx.paragraphs,
          ),
        );
      }
    }
    const srcs = ctx.sources.filter((s) => poolPlace(s.key, components).component === comp);
    if (srcs.length > 0) {
      files.push(...await sourcesIndex(`${comp}/source/Sources`, srcs, ctx.hashes, published));
    }
  }

  return await planDebGeneration(
    ctx.plan,
    {
      storage: ctx.storage,
      byKey,
      base,
      old: old?.release,
      whole,
      files,
      meta,
      malformed: ctx.malformed,
      signer: options.signer,
    },
    ctx.named,
    ctx.namedBefore,
  );
}

/**
 * A dist's Release fields: the architectures declared (else those published before) and those
 * its packages use (`all` aside; a fallback pair when there are none), the components its
 * packages use and those published before that are still `recognised` in pool paths (`main`
 * when none), and the user's Origin, Label and Description. An architecture or component taken
 * out of the settings leaves Release (unless packages still use it), and its indexes are then
 * cleaned up like any file no index names.
 */
export function distMeta(
  dist: string,
  options: DistOptions,
  old: ParsedRelease | undefined,
  used: { architectures: Iterable<string>; components: Iterable<string> },
  recognised: ReadonlySet<string>,
): ReleaseMeta {
  const archs = new Set<string>(options.architectures ?? []);
  const comps = new Set((old?.components ?? []).filter((c) => recognised.has(c)));
  const before = options.architectures ? [] : old?.architectures ?? [];
  for (const a of [...before, ...used.architectures]) {
    if (a !== "all" && a !== "source") archs.add(a);
  }
  for (const c of used.components) comps.add(c);
  if (comps.size === 0) comps.add("main");
  if (archs.size === 0) FALLBACK_ARCHITECTURES.forEach((a) => archs.add(a));
  return {
    origin: releaseValue("Origin", options.origin),
    label: releaseValue("Label", options.label),
    suite: dist,
    codename: dist,
    date: options.date ?? new Date(),
    architectures: [...archs].sort(),
    components: [...comps].sort(),
    description: releaseValue("Description", options.description),
  };
}

/** A Release field value from the user: trimmed, one line, "Repo generator" when unset. */
function releaseValue(field: string, value: string | undefined): string {
  const v = (value ?? "").trim();
  if (/[\r\n]/.test(v)) {
    throw new MkrepoError({
      code: "usage",
      action: "write Release",
      reason: `the ${field} value must be one line`,
      hint:
        `remove line breaks from MKREPO_DEB_${field.toUpperCase()} / --deb-${field.toLowerCase()}`,
    });
  }
  return v === "" ? "Repo generator" : v;
}
