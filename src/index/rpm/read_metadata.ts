/**
 * Reads existing repodata (primary, filelists, other) back into RpmPackage records, so a
 * repository made by createrepo_c, by the original tarantool/mkrepo or by mkrepo can be taken
 * over. Each `<package>` fragment (metadata_stream.ts) is parsed on its own by a small lenient
 * scanner (xml_scanner.ts) and turned into a record here.
 *
 * Quirks of tarantool/mkrepo's output handled here: no other.xml, text and attributes written
 * without escaping, `<version>` without empty attributes, and every directory of the package's
 * DIRNAMES appended to the file lists as `<file type="dir">/path/</file>` (with a trailing slash;
 * such entries are not packaged paths and are dropped). Its other mistakes (LE/GE written as
 * LT/GT, "NE", header ranges rounded up to 8 bytes) cannot be undone from the XML: see
 * hasCompleteRepodata() in repomd_xml.ts for when to read the rpms again. Flags other than
 * EQ/LT/GT/LE/GE are dropped with their version.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import type {
  RpmChangelogEntry,
  RpmDependency,
  RpmDepFlags,
  RpmFile,
  RpmPackage,
} from "../../record/rpm_package.ts";
import {
  metadataError,
  type MetadataKind,
  openMetadataStream,
  type ReadMetadataOptions,
  splitPackages,
} from "./metadata_stream.ts";
import { parseXmlFragment, xmlAttr, xmlChild, xmlChildren, xmlText } from "./xml_scanner.ts";

export type { MetadataFormat, ReadMetadataOptions } from "./metadata_stream.ts";

function int(value: string | undefined): number {
  const n = value === undefined ? NaN : Number(value.trim());
  return Number.isFinite(n) ? n : 0;
}

const FLAGS = new Set(["EQ", "LT", "GT", "LE", "GE"]);

function deps(format: unknown, element: string): RpmDependency[] {
  const out: RpmDependency[] = [];
  for (const e of xmlChildren(xmlChild(format, element), "rpm:entry")) {
    const dep: RpmDependency = { name: xmlAttr(e, "name") ?? "" };
    const flags = xmlAttr(e, "flags");
    if (flags && FLAGS.has(flags)) {
      dep.flags = flags as RpmDepFlags;
      for (const k of ["epoch", "ver", "rel"] as const) {
        const v = xmlAttr(e, k);
        if (v) dep[k] = v;
      }
    }
    const pre = xmlAttr(e, "pre");
    if (pre === "1" || pre === "true") dep.pre = true;
    out.push(dep);
  }
  return out;
}

function files(node: unknown): RpmFile[] {
  const out: RpmFile[] = [];
  for (const f of xmlChildren(node, "file")) {
    const path = xmlText(f);
    const type = xmlAttr(f, "type");
    // tarantool/mkrepo appended DIRNAMES ("/usr/bin/") as dirs: not packaged paths
    if (type === "dir" && path.length > 1 && path.endsWith("/")) continue;
    out.push({ path, type: type === "dir" || type === "ghost" ? type : "file" });
  }
  return out;
}

function version(node: unknown) {
  const v = xmlChild(node, "version");
  return {
    epoch: xmlAttr(v, "epoch") || "0",
    version: xmlAttr(v, "ver") ?? "",
    release: xmlAttr(v, "rel") ?? "",
  };
}

/** One primary.xml `<package>` fragment → record (files: the primary subset). */
export function primaryFromXml(fragment: string): RpmPackage {
  const p = xmlChild(parseXmlFragment(fragment), "package");
  const checksum = xmlChild(p, "checksum");
  const time = xmlChild(p, "time");
  const size = xmlChild(p, "size");
  const location = xmlChild(p, "location");
  const format = xmlChild(p, "format");
  const range = xmlChild(format, "rpm:header-range");
  const href = xmlAttr(location, "href") ?? "";
  const base = xmlAttr(location, "xml:base");
  const fileTime = int(xmlAttr(time, "file"));
  return {
    key: href,
    mtime: fileTime * 1000,
    name: xmlText(xmlChild(p, "name")),
    ...version(p),
    arch: xmlText(xmlChild(p, "arch")),
    pkgid: xmlText(checksum).trim(),
    checksumType: xmlAttr(checksum, "type") ?? "sha256",
    summary: xmlText(xmlChild(p, "summary")),
    description: xmlText(xmlChild(p, "description")),
    packager: xmlText(xmlChild(p, "packager")),
    url: xmlText(xmlChild(p, "url")),
    time: { file: fileTime, build: int(xmlAttr(time, "build")) },
    size: {
      package: int(xmlAttr(size, "package")),
      installed: int(xmlAttr(size, "installed")),
      archive: int(xmlAttr(size, "archive")),
    },
    location: { href, ...(base ? { base } : {}) },
    format: {
      license: xmlText(xmlChild(format, "rpm:license")),
      vendor: xmlText(xmlChild(format, "rpm:vendor")),
      group: xmlText(xmlChild(format, "rpm:group")),
      buildhost: xmlText(xmlChild(format, "rpm:buildhost")),
      sourcerpm: xmlText(xmlChild(format, "rpm:sourcerpm")),
      headerRange: { start: int(xmlAttr(range, "start")), end: int(xmlAttr(range, "end")) },
      provides: deps(format, "rpm:provides"),
      requires: deps(format, "rpm:requires"),
      conflicts: deps(format, "rpm:conflicts"),
      obsoletes: deps(format, "rpm:obsoletes"),
      suggests: deps(format, "rpm:suggests"),
      enhances: deps(format, "rpm:enhances"),
      recommends: deps(format, "rpm:recommends"),
      supplements: deps(format, "rpm:supplements"),
      files: files(format),
    },
    changelogs: [],
  };
}

/** Identity fields shared by filelists.xml and other.xml entries. */
export interface PackageRef {
  pkgid: string;
  name: string;
  arch: string;
  epoch: string;
  version: string;
  release: string;
}

function ref(p: unknown): PackageRef {
  return {
    pkgid: xmlAttr(p, "pkgid") ?? "",
    name: xmlAttr(p, "name") ?? "",
    arch: xmlAttr(p, "arch") ?? "",
    ...version(p),
  };
}

/** One filelists.xml `<package>` fragment → identity + all files. */
export function filelistsFromXml(fragment: string): PackageRef & { files: RpmFile[] } {
  const p = xmlChild(parseXmlFragment(fragment), "package");
  return { ...ref(p), files: files(p) };
}

/** One other.xml `<package>` fragment → identity + changelogs. */
export function otherFromXml(fragment: string): PackageRef & { changelogs: RpmChangelogEntry[] } {
  const p = xmlChild(parseXmlFragment(fragment), "package");
  const changelogs = xmlChildren(p, "changelog").map((c) => ({
    author: xmlAttr(c, "author") ?? "",
    date: int(xmlAttr(c, "date")),
    text: xmlText(c),
  }));
  return { ...ref(p), changelogs };
}

/**
 * Streams the `<package>` fragments of a metadata file with their text, each handed to `use`;
 * an error from `use` becomes a malformed-index error naming the file and the package.
 */
export async function* readFragments<T>(
  stream: ReadableStream<Uint8Array>,
  kind: MetadataKind,
  use: (fragment: Uint8Array, text: string) => T,
  options: ReadMetadataOptions,
): AsyncGenerator<T> {
  const opened = await openMetadataStream(stream, options);
  const decoder = new TextDecoder();
  let n = 0;
  for await (const fragment of splitPackages(opened.stream, kind, options)) {
    n++;
    let out: T;
    try {
      out = use(fragment, decoder.decode(fragment));
    } catch (err) {
      if (err instanceof MkrepoError) throw err;
      throw metadataError(
        options,
        `package ${n} cannot be parsed: ${err instanceof Error ? err.message : err}`,
        err,
      );
    }
    yield out;
  }
}

/** Streams the packages of a primary.xml[.gz|.zst] file (files: the primary subset only). */
export function readPrimary(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): AsyncGenerator<RpmPackage> {
  return readFragments(stream, "primary", (_, text) => primaryFromXml(text), options);
}

/**
 * Matches filelists/other entries to packages by pkgid: the n-th entry of an id goes to the
 * n-th package with it (two arches of one NEVR may share one). Returns a fresh matcher for
 * each pass over a file.
 */
export function pkgidMatcher<T extends { pkgid: string }>(
  packages: readonly T[],
): () => (pkgid: string) => T | undefined {
  const byId = new Map<string, T[]>();
  for (const pkg of packages) {
    const list = byId.get(pkg.pkgid);
    if (list) list.push(pkg);
    else byId.set(pkg.pkgid, [pkg]);
  }
  return () => {
    const pos = new Map<string, number>();
    return (pkgid) => {
      const i = pos.get(pkgid) ?? 0;
      pos.set(pkgid, i + 1);
      return byId.get(pkgid)?.[i];
    };
  };
}
