/**
 * The whole-record repodata reader the compact path (src/index/rpm/published_package.ts) is
 * checked against: primary read into full records, filelists and other merged by pkgid. The
 * tool itself reads compact records; this stays as the tests' reference.
 * @module
 */
import type { RpmChangelogEntry, RpmFile, RpmPackage } from "../../../src/record/rpm_package.ts";
import {
  filelistsFromXml,
  otherFromXml,
  type PackageRef,
  pkgidMatcher,
  readFragments,
  type ReadMetadataOptions,
  readPrimary,
} from "../../../src/index/rpm/read_metadata.ts";

/** Streams the entries of a filelists.xml file. */
function readFilelists(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): AsyncGenerator<PackageRef & { files: RpmFile[] }> {
  return readFragments(stream, "filelists", (_, text) => filelistsFromXml(text), options);
}

/** Streams the entries of an other.xml file. */
function readOther(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): AsyncGenerator<PackageRef & { changelogs: RpmChangelogEntry[] }> {
  return readFragments(stream, "other", (_, text) => otherFromXml(text), options);
}

/** Streams of one repository's metadata files with their keys; filelists and other are optional. */
export interface RepodataStreams {
  primary: { stream: ReadableStream<Uint8Array>; key: string };
  filelists?: { stream: ReadableStream<Uint8Array>; key: string };
  other?: { stream: ReadableStream<Uint8Array>; key: string };
}

/**
 * Reads a repository's primary, then merges the full file lists (filelists) and changelogs
 * (other) into the records by pkgid (the n-th entry of an id goes to the n-th package with it).
 * Packages that filelists does not list keep the primary subset of their files.
 */
export async function readRepodata(
  files: RepodataStreams,
  options: Omit<ReadMetadataOptions, "key"> = {},
): Promise<RpmPackage[]> {
  const packages: RpmPackage[] = [];
  for await (
    const pkg of readPrimary(files.primary.stream, { ...options, key: files.primary.key })
  ) {
    packages.push(pkg);
  }
  await mergeRepodata(packages, files, options);
  return packages;
}

/**
 * Merges the full file lists (filelists) and changelogs (other) into records read from primary,
 * by pkgid (the n-th entry of an id goes to the n-th package with it).
 */
export async function mergeRepodata(
  packages: readonly RpmPackage[],
  files: Omit<RepodataStreams, "primary">,
  options: Omit<ReadMetadataOptions, "key"> = {},
): Promise<void> {
  const matcher = pkgidMatcher(packages);
  if (files.filelists) {
    const take = matcher();
    const fopts = { ...options, key: files.filelists.key };
    for await (const entry of readFilelists(files.filelists.stream, fopts)) {
      const pkg = take(entry.pkgid);
      if (pkg) pkg.format.files = entry.files;
    }
  }
  if (files.other) {
    const take = matcher();
    for await (const entry of readOther(files.other.stream, { ...options, key: files.other.key })) {
      const pkg = take(entry.pkgid);
      if (pkg) pkg.changelogs = entry.changelogs;
    }
  }
}
