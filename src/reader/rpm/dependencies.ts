/**
 * Dependencies of an rpm header as createrepo_c 0.17 lists them (src/parsehdr.c, src/misc.c):
 * - flags & 0xf → EQ/LT/GT/LE/GE (else none), "[E:]V[-R]" split as cr_str_to_evr (a
 *   non-numeric epoch drops the dependency);
 * - Requires filtered: rpmlib(), own primary files, exact copies of a Provides, repeats;
 * - pre="1" for PREREQ|SCRIPT_PRE|SCRIPT_POST; only the highest libc.so.6 requirement kept (last);
 * - legacy weak deps (MISSINGOK requires, OLDSUGGESTS, OLDENHANCES with STRONG) mapped to the
 *   new kinds.
 * @module
 */
import { isPrimaryFile, type RpmDependency, type RpmDepFlags } from "../../record/rpm_package.ts";
import { parseEvr, rpmvercmp } from "../../record/rpm_evr.ts";
import type { TagMap } from "./tag_map.ts";
import { decodeCheckedHeaderText, decodeHeaderText } from "./header_text.ts";
import { Sense, Tag } from "./tags.ts";

const flagNames: Record<number, RpmDepFlags> = { 2: "LT", 4: "GT", 8: "EQ", 10: "LE", 12: "GE" };

/** createrepo_c's cr_compare_dependency for libc.so.6 names: 2 when `b` is the higher one. */
function compareLibcDependency(a: string, b: string): number {
  if (a === b) return 0;
  let v1 = a.indexOf("("), v2 = b.indexOf("(");
  if (v1 < 0 && v2 < 0) return 0;
  if (v1 < 0) return 2;
  if (v2 < 0) return 1;
  const e1 = a.indexOf(")", v1), e2 = b.indexOf(")", v2);
  if (e1 < 0 && e2 < 0) return -1;
  if (e1 < 0) return 2;
  if (e2 < 0) return 1;
  v1++, v2++;
  if (v1 === e1 && v2 === e2) return 0;
  if (v1 === e1) return 2;
  if (v2 === e2) return 1;
  const digit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  while (v1 < a.length && !digit(a[v1])) v1++;
  while (v2 < b.length && !digit(b[v2])) v2++;
  if (v1 > e1 && v2 > e2) return 0;
  if (v1 > e1) return 2;
  if (v2 > e2) return 1;
  const r = rpmvercmp(a.slice(v1, e1), b.slice(v2, e2));
  return r === -1 ? 2 : r;
}

type DepKind =
  | "provides"
  | "conflicts"
  | "obsoletes"
  | "requires"
  | "suggests"
  | "enhances"
  | "recommends"
  | "supplements"
  | "oldsuggests"
  | "oldenhances";

/** Processing order of createrepo_c's dep_items table. */
const depTags: [DepKind, number, number, number][] = [
  ["provides", Tag.PROVIDENAME, Tag.PROVIDEFLAGS, Tag.PROVIDEVERSION],
  ["conflicts", Tag.CONFLICTNAME, Tag.CONFLICTFLAGS, Tag.CONFLICTVERSION],
  ["obsoletes", Tag.OBSOLETENAME, Tag.OBSOLETEFLAGS, Tag.OBSOLETEVERSION],
  ["requires", Tag.REQUIRENAME, Tag.REQUIREFLAGS, Tag.REQUIREVERSION],
  ["suggests", Tag.SUGGESTNAME, Tag.SUGGESTFLAGS, Tag.SUGGESTVERSION],
  ["enhances", Tag.ENHANCENAME, Tag.ENHANCEFLAGS, Tag.ENHANCEVERSION],
  ["recommends", Tag.RECOMMENDNAME, Tag.RECOMMENDFLAGS, Tag.RECOMMENDVERSION],
  ["supplements", Tag.SUPPLEMENTNAME, Tag.SUPPLEMENTFLAGS, Tag.SUPPLEMENTVERSION],
  ["oldsuggests", Tag.OLDSUGGESTSNAME, Tag.OLDSUGGESTSFLAGS, Tag.OLDSUGGESTSVERSION],
  ["oldenhances", Tag.OLDENHANCESNAME, Tag.OLDENHANCESFLAGS, Tag.OLDENHANCESVERSION],
];

/** Every tag {@linkcode readDependencies} decodes. */
export const DEPENDENCY_TAGS: readonly number[] = depTags.flatMap(([, n, f, v]) => [n, f, v]);

/** The dependency lists of a package record, by kind. */
export type RpmDependencies = Record<
  Exclude<DepKind, "oldsuggests" | "oldenhances">,
  RpmDependency[]
>;

/** Options of {@linkcode readDependencies}. */
export interface ReadDependenciesOptions {
  /** Paths of the package's own files (a Requires on a primary one is dropped). */
  files: Set<string>;
  /** The error for a kept name or version (`field`) holding a character XML does not allow. */
  controlCharacter: (field: string) => Error;
}

/** Reads the dependency tags of a main header into the lists createrepo_c writes. */
export function readDependencies(h: TagMap, options: ReadDependenciesOptions): RpmDependencies {
  const out = {
    provides: [] as RpmDependency[],
    conflicts: [] as RpmDependency[],
    obsoletes: [] as RpmDependency[],
    requires: [] as RpmDependency[],
    suggests: [] as RpmDependency[],
    enhances: [] as RpmDependency[],
    recommends: [] as RpmDependency[],
    supplements: [] as RpmDependency[],
  };
  const provided = new Set<string>();
  const seen = new Map<string, { flags: string; version: string; pre: boolean }>();
  for (const [kind, nameTag, flagsTag, versionTag] of depTags) {
    const names = h.strings(nameTag),
      flags = h.numbers(flagsTag),
      versions = h.strings(versionTag);
    if (!names || !flags || !versions) continue;
    let libc: RpmDependency | undefined;
    const n = Math.min(names.length, flags.length, versions.length);
    for (let i = 0; i < n; i++) {
      // one scan each; a control character fails the package only if the dependency is kept
      const checkedName = decodeCheckedHeaderText(names[i]);
      const checkedVersion = decodeCheckedHeaderText(versions[i]);
      const name = checkedName ?? decodeHeaderText(names[i]);
      const version = checkedVersion ?? decodeHeaderText(versions[i]);
      const flagsStr = flagNames[flags[i] & 0xf];
      const nfv = name + (flagsStr ?? "") + version;
      let pre = false;
      if (kind === "requires") {
        if (name.startsWith("rpmlib(")) continue;
        if (name.startsWith("/") && options.files.has(name) && isPrimaryFile(name)) continue;
        if (provided.has(nfv)) continue;
        pre = (flags[i] & (Sense.PREREQ | Sense.SCRIPT_PRE | Sense.SCRIPT_POST)) !== 0;
        const prev = seen.get(name);
        if (
          prev && prev.flags === (flagsStr ?? "") && prev.version === version && prev.pre === pre
        ) {
          continue;
        }
      }
      const evr = parseEvr(version);
      if (version !== "" && evr.epoch === undefined) continue; // bad epoch: createrepo_c skips it
      if (checkedName === undefined) throw options.controlCharacter(`dependency "${name}"`);
      if (checkedVersion === undefined) {
        throw options.controlCharacter(`the version of dependency "${name}"`);
      }
      const dep: RpmDependency = { name };
      if (flagsStr) {
        dep.flags = flagsStr;
        if (evr.epoch) dep.epoch = evr.epoch;
        if (evr.ver) dep.ver = evr.ver;
        if (evr.rel) dep.rel = evr.rel;
      }
      switch (kind) {
        case "provides":
          provided.add(nfv);
          out.provides.push(dep);
          break;
        case "requires":
          if (flags[i] & Sense.MISSINGOK) {
            out.recommends.push(dep);
            break;
          }
          if (pre) dep.pre = true;
          if (name.startsWith("libc.so.6")) {
            if (!libc || compareLibcDependency(libc.name, name) === 2) libc = dep;
            break;
          }
          out.requires.push(dep);
          seen.set(name, { flags: flagsStr ?? "", version, pre });
          break;
        case "oldsuggests":
          (flags[i] & Sense.STRONG ? out.recommends : out.suggests).push(dep);
          break;
        case "oldenhances":
          (flags[i] & Sense.STRONG ? out.supplements : out.enhances).push(dep);
          break;
        default:
          out[kind].push(dep);
      }
    }
    if (libc) out.requires.push(libc);
  }
  return out;
}
