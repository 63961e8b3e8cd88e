/**
 * Header tags → RpmPackage, applying the rules of createrepo_c 0.17 (src/parsehdr.c,
 * src/misc.c, src/xml_dump.c) so the indexes match what createrepo_c writes:
 * - arch "src" when RPMTAG_SOURCEPACKAGE is set, or (rpm's retrofit) when neither SOURCERPM nor
 *   SOURCEPACKAGE exists and the file list is one empty directory name;
 * - sizes through rpm's 64-bit tag extensions and the signature tags rpm merges into the header;
 * - dependencies: flags & 0xf → EQ/LT/GT/LE/GE (else none), "[E:]V[-R]" split as cr_str_to_evr
 *   (a non-numeric epoch drops the dependency), Requires filtered (rpmlib(), own primary files,
 *   exact copies of a Provides, repeats), pre="1" for PREREQ|SCRIPT_PRE|SCRIPT_POST, only the
 *   highest libc.so.6 requirement kept (last), legacy weak deps (MISSINGOK requires, OLDSUGGESTS,
 *   OLDENHANCES with STRONG) mapped to the new kinds;
 * - files: dir from the mode, ghost from the flags;
 * - changelog: the newest `changelogLimit` entries (default 10), oldest first, same-second
 *   entries bumped so dates stay distinct, trailing spaces cut from authors;
 * - text: UTF-8 when valid, else read as Latin-1 (C0 controls and 0x80-0xBF dropped); control
 *   characters other than tab, LF and CR make the package malformed, as createrepo_c refuses it.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import {
  isPrimaryFile,
  type RpmChangelogEntry,
  type RpmDependency,
  type RpmDepFlags,
  type RpmFile,
  type RpmPackage,
} from "../../record/rpm_package.ts";
import type { TagMap } from "./header.ts";
import { FileFlag, S_IFDIR, S_IFMT, Sense, SigTag, Tag, TagType } from "./tags.ts";

/** What is known about the file besides its headers. */
export interface RpmFileInfo {
  key: string;
  mtime: number;
  etag?: string;
  /** Location href; defaults to the key. */
  href?: string;
  pkgid: string;
  size: number;
  headerRange: { start: number; end: number };
}

/** Options of headerToPackage. */
export interface HeaderToPackageOptions {
  /** Changelog entries kept (createrepo_c --changelog-limit); default 10, -1 keeps all. */
  changelogLimit?: number;
}

/** The signature and main headers of one rpm. */
export interface RpmHeaders {
  signature: TagMap;
  header: TagMap;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isControl(b: number): boolean {
  return b < 32 && b !== 9 && b !== 10 && b !== 13;
}

/** Decodes a header string as createrepo_c's cr_xmlNewTextChild does (UTF-8, else Latin-1). */
export function decodeHeaderText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let out = "";
    for (const b of bytes) {
      if (b < 128 ? !isControl(b) : b >= 192) out += String.fromCharCode(b);
    }
    return out;
  }
}

const flagNames: Record<number, RpmDepFlags> = { 2: "LT", 4: "GT", 8: "EQ", 10: "LE", 12: "GE" };

/** EVR split as cr_str_to_evr; epoch undefined (with version set) means a non-numeric epoch. */
export function parseEvr(text: string): { epoch?: string; ver?: string; rel?: string } {
  if (text === "") return {};
  const colon = text.indexOf(":");
  let epoch: string | undefined = "0";
  let rest = text;
  if (colon >= 0) {
    const e = text.slice(0, colon);
    if (e === "" || /^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(e)) epoch = e === "" ? "0" : e;
    else epoch = undefined;
    rest = text.slice(colon + 1);
  }
  const dash = rest.indexOf("-");
  if (dash < 0) return { epoch, ver: rest };
  const rel = rest.slice(dash + 1);
  return { epoch, ver: rest.slice(0, dash), ...(rel ? { rel } : {}) };
}

/** rpm's rpmvercmp: 1 when a is newer, -1 when older, 0 when equal. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  const isDigit = (c: string) => c >= "0" && c <= "9";
  const isAlpha = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
  const sep = (c: string) => c !== "" && !isDigit(c) && !isAlpha(c) && c !== "~" && c !== "^";
  let i = 0, j = 0;
  const at = (s: string, k: number) => (k < s.length ? s[k] : "");
  while (i < a.length || j < b.length) {
    while (sep(at(a, i))) i++;
    while (sep(at(b, j))) j++;
    const x = at(a, i), y = at(b, j);
    if (x === "~" || y === "~") {
      if (x !== "~") return 1;
      if (y !== "~") return -1;
      i++, j++;
      continue;
    }
    if (x === "^" || y === "^") {
      if (x === "") return -1;
      if (y === "") return 1;
      if (x !== "^") return 1;
      if (y !== "^") return -1;
      i++, j++;
      continue;
    }
    if (x === "" || y === "") break;
    const num = isDigit(x);
    const kind = num ? isDigit : isAlpha;
    let e1 = i, e2 = j;
    while (e1 < a.length && kind(a[e1])) e1++;
    while (e2 < b.length && kind(b[e2])) e2++;
    if (e2 === j) return num ? 1 : -1;
    let s1 = a.slice(i, e1), s2 = b.slice(j, e2);
    if (num) {
      s1 = s1.replace(/^0+/, "");
      s2 = s2.replace(/^0+/, "");
      if (s1.length !== s2.length) return s1.length > s2.length ? 1 : -1;
    }
    if (s1 !== s2) return s1 < s2 ? -1 : 1;
    i = e1, j = e2;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

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

/** Reads tags into a package; every text field goes through `text` (control-char check). */
class Converter {
  constructor(readonly tags: RpmHeaders, readonly key: string) {}

  fail(reason: string): MkrepoError {
    return new MkrepoError({
      code: "malformed-package",
      key: this.key,
      reason,
      hint: "createrepo_c refuses such a package too; rebuild it or use --force to skip it",
    });
  }

  text(bytes: Uint8Array | undefined, field: string): string {
    if (!bytes) return "";
    if (bytes.some(isControl)) {
      throw this.fail(`${field} contains a control character not allowed in XML`);
    }
    return decodeHeaderText(bytes);
  }

  string(tag: number, field: string): string {
    return this.text(this.tags.header.string(tag), field);
  }

  /** Integer from the header, else from the signature header as rpm merges it. */
  merged(tag: number, sigTag?: number): number | undefined {
    const v = this.tags.header.number(tag);
    if (v !== undefined || sigTag === undefined) return v;
    const sig = this.tags.signature;
    const t = sig.type(sigTag);
    if (t === undefined || t < TagType.CHAR || t > TagType.INT64) return undefined;
    const values = sig.numbers(sigTag);
    return values?.length === 1 ? values[0] : undefined;
  }

  /** rpm's get64(): the 64-bit tag, else the 32-bit one when it is INT32. */
  long(newTag: number, newSig: number | undefined, oldTag: number, oldSig?: number): number {
    const v = this.merged(newTag, newSig);
    if (v !== undefined) return v;
    const h = this.tags.header;
    if (h.has(oldTag)) return h.type(oldTag) === TagType.INT32 ? h.number(oldTag) ?? 0 : 0;
    if (oldSig !== undefined && this.tags.signature.type(oldSig) === TagType.INT32) {
      return this.merged(oldTag, oldSig) ?? 0;
    }
    return 0;
  }

  files(): { files: RpmFile[]; dirnames: Uint8Array[] | undefined } {
    const h = this.tags.header;
    const flags = h.numbers(Tag.FILEFLAGS);
    const modes = h.numbers(Tag.FILEMODES);
    let dirnames = h.strings(Tag.DIRNAMES);
    let paths: string[] | undefined;
    const basenames = h.strings(Tag.BASENAMES);
    const indexes = h.numbers(Tag.DIRINDEXES);
    if (basenames && indexes && dirnames) {
      const dirs = dirnames.map((d) => this.text(d, "a directory name"));
      const n = Math.min(basenames.length, indexes.length);
      paths = [];
      for (let i = 0; i < n; i++) {
        const dir = dirs[indexes[i]];
        if (dir === undefined) {
          throw this.fail(`file ${i} names directory ${indexes[i]} of ${dirs.length}`);
        }
        paths.push(dir + this.text(basenames[i], "a file name"));
      }
    } else if (!basenames && !dirnames) {
      const old = h.strings(Tag.OLDFILENAMES);
      if (old) {
        paths = old.map((p) => this.text(p, "a file name"));
        // rpm's compressFilelist: a source rpm's list is one empty directory name
        if (paths.length > 0 && !paths[0].startsWith("/")) dirnames = [new Uint8Array(0)];
      }
    }
    const files: RpmFile[] = [];
    if (paths && flags && modes) {
      const n = Math.min(paths.length, flags.length, modes.length);
      for (let i = 0; i < n; i++) {
        const type = (modes[i] & S_IFMT) === S_IFDIR
          ? "dir"
          : flags[i] & FileFlag.GHOST
          ? "ghost"
          : "file";
        files.push({ path: paths[i], type });
      }
    }
    return { files, dirnames };
  }

  deps(
    fileSet: Set<string>,
  ): Record<Exclude<DepKind, "oldsuggests" | "oldenhances">, RpmDependency[]> {
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
    const h = this.tags.header;
    for (const [kind, nameTag, flagsTag, versionTag] of depTags) {
      const names = h.strings(nameTag),
        flags = h.numbers(flagsTag),
        versions = h.strings(versionTag);
      if (!names || !flags || !versions) continue;
      let libc: RpmDependency | undefined;
      const n = Math.min(names.length, flags.length, versions.length);
      for (let i = 0; i < n; i++) {
        const name = decodeHeaderText(names[i]);
        const version = decodeHeaderText(versions[i]);
        const flagsStr = flagNames[flags[i] & 0xf];
        const nfv = name + (flagsStr ?? "") + version;
        let pre = false;
        if (kind === "requires") {
          if (name.startsWith("rpmlib(")) continue;
          if (name.startsWith("/") && fileSet.has(name) && isPrimaryFile(name)) continue;
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
        this.text(names[i], `dependency "${name}"`);
        this.text(versions[i], `the version of dependency "${name}"`);
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

  changelogs(limit: number): RpmChangelogEntry[] {
    const h = this.tags.header;
    const times = h.numbers(Tag.CHANGELOGTIME);
    const names = h.strings(Tag.CHANGELOGNAME);
    const texts = h.strings(Tag.CHANGELOGTEXT);
    if (!times || !names || !texts) return [];
    const n = Math.min(times.length, names.length, texts.length);
    const entries: RpmChangelogEntry[] = [];
    let last = 0;
    for (let i = 0; i < n && (limit > 0 || limit === -1); i++) {
      const time = times[i];
      let author = this.text(names[i], "a changelog author");
      let end = author.length;
      while (end > 1 && author[end - 1] === " ") end--;
      author = author.slice(0, end);
      entries.push({ author, date: time, text: this.text(texts[i], "a changelog entry") });
      if (limit !== -1) limit--;
      if (time === last) {
        // createrepo_c: bump newer entries with the same second so dates stay distinct
        let t = time;
        for (let k = entries.length - 2; k >= 0 && entries[k].date === t; k--) {
          entries[k].date++;
          t++;
        }
      } else {
        last = time;
      }
    }
    return entries.reverse();
  }
}

/** Builds the package record from the signature and main headers of an rpm. */
export function headerToPackage(
  tags: RpmHeaders,
  file: RpmFileInfo,
  options: HeaderToPackageOptions = {},
): RpmPackage {
  const c = new Converter(tags, file.key);
  const h = tags.header;
  const href = file.href ?? file.key;
  c.text(new TextEncoder().encode(href), "the location");
  const { files, dirnames } = c.files();
  const heuristicSource = !h.has(Tag.SOURCERPM) && !h.has(Tag.SOURCEPACKAGE) &&
    dirnames?.length === 1 && dirnames[0].length === 0;
  const isSource = (h.number(Tag.SOURCEPACKAGE) ?? 0) !== 0 || heuristicSource;
  const pkg: RpmPackage = {
    key: file.key,
    mtime: file.mtime,
    ...(file.etag !== undefined ? { etag: file.etag } : {}),
    name: c.string(Tag.NAME, "the name"),
    epoch: String(h.number(Tag.EPOCH) ?? 0),
    version: c.string(Tag.VERSION, "the version"),
    release: c.string(Tag.RELEASE, "the release"),
    arch: isSource ? "src" : c.string(Tag.ARCH, "the arch"),
    pkgid: file.pkgid,
    checksumType: "sha256",
    summary: c.string(Tag.SUMMARY, "the summary"),
    description: c.string(Tag.DESCRIPTION, "the description"),
    packager: c.string(Tag.PACKAGER, "the packager"),
    url: c.string(Tag.URL, "the url"),
    time: { file: Math.floor(file.mtime / 1000), build: h.number(Tag.BUILDTIME) ?? 0 },
    size: {
      package: file.size,
      installed: c.long(Tag.LONGSIZE, undefined, Tag.SIZE),
      archive: c.long(
        Tag.LONGARCHIVESIZE,
        SigTag.LONGARCHIVESIZE,
        Tag.ARCHIVESIZE,
        SigTag.PAYLOADSIZE,
      ),
    },
    location: { href },
    format: {
      license: c.string(Tag.LICENSE, "the license"),
      vendor: c.string(Tag.VENDOR, "the vendor"),
      group: c.string(Tag.GROUP, "the group"),
      buildhost: c.string(Tag.BUILDHOST, "the build host"),
      sourcerpm: c.string(Tag.SOURCERPM, "the source rpm"),
      headerRange: { ...file.headerRange },
      ...c.deps(new Set(files.map((f) => f.path))),
      files,
    },
    changelogs: c.changelogs(options.changelogLimit ?? 10),
  };
  return pkg;
}
