/**
 * Canonical field orders of Packages and Sources paragraphs, as apt-ftparchive writes them.
 *
 * Source: apt, apt-pkg/tagfile-order.c (the TFRewritePackageOrder and TFRewriteSourceOrder
 * tables, included by apt-pkg/tagfile.cc), applied by pkgTagSection::Write: the fields named in
 * the table come first, in table order and with the table's spelling; every other field follows
 * in its original order. Entries apt keeps commented out (obsolete aliases such as Revision,
 * Class, Recommended, Optional) are left out here as well.
 * @module
 */
import type { Deb822Field } from "../../record/deb_package.ts";

/** Field order of a Packages paragraph (apt's TFRewritePackageOrder). */
export const PACKAGES_FIELD_ORDER: readonly string[] = [
  "Package",
  "Package-Type",
  "Architecture",
  "Subarchitecture",
  "Version",
  "Kernel-Version",
  "Built-Using",
  "Static-Built-Using",
  "Built-For-Profiles",
  "Auto-Built-Package",
  "Multi-Arch",
  "Status",
  "Priority",
  "Build-Essential",
  "Protected",
  "Important",
  "Essential",
  "Installer-Menu-Item",
  "Section",
  "Source",
  "Origin",
  "Phased-Update-Percentage",
  "Maintainer",
  "Original-Maintainer",
  "Bugs",
  "Config-Version",
  "Conffiles",
  "Triggers-Awaited",
  "Triggers-Pending",
  "Installed-Size",
  "Provides",
  "Pre-Depends",
  "Depends",
  "Recommends",
  "Suggests",
  "Conflicts",
  "Breaks",
  "Replaces",
  "Enhances",
  "Filename",
  "MSDOS-Filename",
  "Size",
  "MD5sum",
  "SHA1",
  "SHA256",
  "SHA512",
  "Homepage",
  "Description",
  "Description-md5",
  "Tag",
  "Task",
];

/** Field order of a Sources paragraph (apt's TFRewriteSourceOrder). */
export const SOURCES_FIELD_ORDER: readonly string[] = [
  "Package",
  "Source",
  "Format",
  "Binary",
  "Architecture",
  "Version",
  "Priority",
  "Section",
  "Origin",
  "Maintainer",
  "Original-Maintainer",
  "Uploaders",
  "Dm-Upload-Allowed",
  "Standards-Version",
  "Build-Depends",
  "Build-Depends-Arch",
  "Build-Depends-Indep",
  "Build-Conflicts",
  "Build-Conflicts-Arch",
  "Build-Conflicts-Indep",
  "Testsuite",
  "Testsuite-Triggers",
  "Homepage",
  "Description",
  "Vcs-Browser",
  "Vcs-Browse",
  "Vcs-Arch",
  "Vcs-Bzr",
  "Vcs-Cvs",
  "Vcs-Darcs",
  "Vcs-Git",
  "Vcs-Hg",
  "Vcs-Mtn",
  "Vcs-Svn",
  "Directory",
  "Package-List",
  "Files",
  "Checksums-Md5",
  "Checksums-Sha1",
  "Checksums-Sha256",
  "Checksums-Sha512",
];

const rankCache = new WeakMap<readonly string[], Map<string, number>>();

/** Position of a field name (case-insensitive) in `order`, or undefined when not listed. */
export function fieldRank(order: readonly string[], name: string): number | undefined {
  return ranks(order).get(name.toLowerCase());
}

function ranks(order: readonly string[]): Map<string, number> {
  let map = rankCache.get(order);
  if (!map) {
    map = new Map(order.map((name, i) => [name.toLowerCase(), i]));
    rankCache.set(order, map);
  }
  return map;
}

/**
 * Sorts fields as apt does: names found in `order` (case-insensitively) first, in that order and
 * spelt as `order` spells them; the others after, in their original order.
 */
export function orderFields(
  fields: readonly Deb822Field[],
  order: readonly string[],
): Deb822Field[] {
  const rank = ranks(order);
  const known: [number, Deb822Field][] = [];
  const unknown: Deb822Field[] = [];
  for (const field of fields) {
    const i = rank.get(field[0].toLowerCase());
    if (i === undefined) unknown.push(field);
    else known.push([i, [order[i], field[1]]]);
  }
  known.sort((a, b) => a[0] - b[0]);
  return [...known.map(([, field]) => field), ...unknown];
}
