/**
 * Header tags → RpmPackage, applying the rules of createrepo_c 0.17 (src/parsehdr.c,
 * src/misc.c, src/xml_dump.c) so the indexes match what createrepo_c writes:
 * - arch "src" when RPMTAG_SOURCEPACKAGE is set, or (rpm's retrofit) when neither SOURCERPM nor
 *   SOURCEPACKAGE exists and the file list is one empty directory name;
 * - sizes through rpm's 64-bit tag extensions and the signature tags rpm merges into the header;
 * - dependencies: see `dependencies.ts`;
 * - files: dir from the mode, ghost from the flags;
 * - changelog: the newest `changelogLimit` entries (default 10), oldest first, same-second
 *   entries bumped so dates stay distinct, trailing spaces cut from authors;
 * - text: UTF-8 when valid, else read as Latin-1 (`header_text.ts`); control characters other
 *   than tab, LF and CR make the package malformed, as createrepo_c refuses it.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import type { RpmChangelogEntry, RpmFile, RpmPackage } from "../../record/rpm_package.ts";
import { DEPENDENCY_TAGS, readDependencies } from "./dependencies.ts";
import type { TagMap } from "./tag_map.ts";
import { decodeCheckedHeaderText } from "./header_text.ts";
import { FileFlag, S_IFDIR, S_IFMT, SigTag, Tag, TagType } from "./tags.ts";

/**
 * Characters rpmbuild accepts in a Name and in a Version or Release (rpm build/parsePreamble.c,
 * ALLOWED_CHARS_NAME / ALLOWED_FIRSTCHARS_NAME / ALLOWED_CHARS_VERREL: letters, digits and the
 * listed punctuation; the name starting with a letter, digit or one of `_%{}`). rpm puts no rule
 * on the arch; mkrepo takes the names rpm's arch tables use: letters, digits and `_`. Each must be
 * non-empty: these become the NEVRA clients resolve and the file name dnf downloads to.
 */
const NEVRA_RULES = [
  ["the name", Tag.NAME, /^[A-Za-z0-9_%{}][A-Za-z0-9._+%{}-]*$/],
  ["the version", Tag.VERSION, /^[A-Za-z0-9._+%{}~^]+$/],
  ["the release", Tag.RELEASE, /^[A-Za-z0-9._+%{}~^]+$/],
  ["the arch", Tag.ARCH, /^[A-Za-z0-9_]+$/],
] as const;

/** Characters XML does not allow: C0 controls other than tab, LF and CR. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F]/;

/**
 * The array tags headerToPackage decodes (its single strings and numbers cost nothing worth
 * counting): what a memory budget reserves for, by `TagMap.expansionBound`.
 */
export const DECODED_ARRAY_TAGS: readonly number[] = [
  Tag.BASENAMES,
  Tag.DIRNAMES,
  Tag.DIRINDEXES,
  Tag.FILEFLAGS,
  Tag.FILEMODES,
  Tag.OLDFILENAMES,
  Tag.CHANGELOGTIME,
  Tag.CHANGELOGNAME,
  Tag.CHANGELOGTEXT,
  ...DEPENDENCY_TAGS,
];

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
    const text = decodeCheckedHeaderText(bytes);
    if (text === undefined) throw this.controlCharacter(field);
    return text;
  }

  controlCharacter(field: string): MkrepoError {
    return this.fail(`${field} contains a control character not allowed in XML`);
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
  // UTF-8 encodes these characters, and only these, as bytes below 32 other than tab, LF, CR
  if (CONTROL.test(href)) throw c.controlCharacter("the location");
  const { files, dirnames } = c.files();
  const heuristicSource = !h.has(Tag.SOURCERPM) && !h.has(Tag.SOURCEPACKAGE) &&
    dirnames?.length === 1 && dirnames[0].length === 0;
  const isSource = (h.number(Tag.SOURCEPACKAGE) ?? 0) !== 0 || heuristicSource;
  const nevra = new Map<number, string>();
  for (const [field, tag, rule] of NEVRA_RULES) {
    if (tag === Tag.ARCH && isSource) continue;
    const value = c.string(tag, field);
    nevra.set(tag, value);
    if (!rule.test(value)) {
      throw c.fail(
        value === ""
          ? `${field} is empty or missing`
          : `${field} ${JSON.stringify(value)} has characters rpm does not allow there`,
      );
    }
  }
  const pkg: RpmPackage = {
    key: file.key,
    mtime: file.mtime,
    ...(file.etag !== undefined ? { etag: file.etag } : {}),
    name: nevra.get(Tag.NAME)!,
    epoch: String(h.number(Tag.EPOCH) ?? 0),
    version: nevra.get(Tag.VERSION)!,
    release: nevra.get(Tag.RELEASE)!,
    arch: isSource ? "src" : nevra.get(Tag.ARCH)!,
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
      ...readDependencies(h, {
        files: new Set(files.map((f) => f.path)),
        controlCharacter: (field) => c.controlCharacter(field),
      }),
      files,
    },
    changelogs: c.changelogs(options.changelogLimit ?? 10),
  };
  return pkg;
}
