/**
 * RpmPackage: one rpm as the repodata indexes (primary, filelists, other) describe it, with the
 * values createrepo_c would write. Readers (the rpm reader, the repodata reader) produce it;
 * the XML writers consume it.
 * @module
 */

/** Comparison of a versioned dependency, as repodata spells it. */
export type RpmDepFlags = "EQ" | "LT" | "GT" | "LE" | "GE";

/** One dependency entry (`<rpm:entry>`). epoch/ver/rel are present only with flags. */
export interface RpmDependency {
  /** Name, or a whole rich dependency such as "(a if b)". */
  name: string;
  flags?: RpmDepFlags;
  epoch?: string;
  ver?: string;
  rel?: string;
  /** Requires only: needed by a %pre/%post scriptlet (or legacy PreReq). */
  pre?: boolean;
}

/** Kind of a packaged path; "file" covers everything that is neither a directory nor a ghost. */
export type RpmFileType = "file" | "dir" | "ghost";

/** One packaged path. */
export interface RpmFile {
  path: string;
  type: RpmFileType;
}

/** One changelog entry (other.xml). */
export interface RpmChangelogEntry {
  author: string;
  /** Seconds since the epoch (after createrepo_c's same-second bumping). */
  date: number;
  text: string;
}

/** The `<format>` part of primary.xml, plus the full file list (filelists.xml). */
export interface RpmFormat {
  license: string;
  vendor: string;
  group: string;
  buildhost: string;
  /** Empty for source packages. */
  sourcerpm: string;
  /** Byte range of the main header in the file (rpm:header-range). */
  headerRange: { start: number; end: number };
  provides: RpmDependency[];
  requires: RpmDependency[];
  conflicts: RpmDependency[];
  obsoletes: RpmDependency[];
  suggests: RpmDependency[];
  enhances: RpmDependency[];
  recommends: RpmDependency[];
  supplements: RpmDependency[];
  /** Every packaged path in header order (primary.xml lists only the isPrimaryFile() ones). */
  files: RpmFile[];
}

/** One rpm package record. */
export interface RpmPackage {
  /** Storage key of the object read, relative to the repository root. */
  key: string;
  /** Modification time of the object in ms (from repodata: `time file` × 1000, whole seconds). */
  mtime: number;
  /** ETag of the object read, when the storage gave one (not kept in repodata). */
  etag?: string;

  name: string;
  /** Decimal epoch, "0" when the package has none. */
  epoch: string;
  version: string;
  release: string;
  /** Build arch, or "src" for source packages (as createrepo_c). */
  arch: string;
  /** Hex digest of the whole file (the package id). */
  pkgid: string;
  /** Algorithm of pkgid: "sha256" for packages mkrepo reads; as found for taken-over repodata. */
  checksumType: string;
  summary: string;
  description: string;
  packager: string;
  url: string;
  /** file: mtime in seconds; build: RPMTAG_BUILDTIME. */
  time: { file: number; build: number };
  /** package: file size; installed: RPMTAG_LONGSIZE; archive: RPMTAG_LONGARCHIVESIZE. */
  size: { package: number; installed: number; archive: number };
  /** href: path relative to the repository root; base: xml:base, only when taken over. */
  location: { href: string; base?: string };
  format: RpmFormat;
  /** Newest entries only (createrepo_c keeps 10), oldest first, as other.xml lists them. */
  changelogs: RpmChangelogEntry[];
}

/** True for paths createrepo_c lists in primary.xml (cr_is_primary): /etc/*, *bin/*, sendmail. */
export function isPrimaryFile(path: string): boolean {
  return path.startsWith("/etc/") || path === "/usr/lib/sendmail" || path.includes("bin/");
}

/** Identity of a package in a repository: name, epoch, version, release and arch. */
export function rpmNevra(
  pkg: Pick<RpmPackage, "name" | "epoch" | "version" | "release" | "arch">,
): string {
  return `${pkg.name}-${pkg.epoch}:${pkg.version}-${pkg.release}.${pkg.arch}`;
}

/** Orders packages by location href, byte-wise (the order createrepo_c's sorted walk gives). */
export function compareRpmPackages(
  a: Pick<RpmPackage, "location">,
  b: Pick<RpmPackage, "location">,
): number {
  const x = a.location.href, y = b.location.href;
  return x < y ? -1 : x > y ? 1 : 0;
}
