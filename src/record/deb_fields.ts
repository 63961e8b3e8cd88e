/**
 * Debian field values that become paths, index names or sort keys, checked against Debian
 * policy's character sets (debian-policy chapter 5.6):
 * - Package and Source (5.6.1, 5.6.7): lowercase letters, digits, `+`, `-`, `.`; at least two
 *   characters, starting with a letter or digit;
 * - Version (5.6.12): `[epoch:]upstream_version[-debian_revision]`, the epoch an unsigned
 *   integer, upstream letters, digits and `. + ~ -` (and `:` only after an epoch, as dpkg
 *   splits at the first colon), the revision letters, digits and `. + ~`; each part non-empty;
 * - Architecture (5.6.8, dpkg-architecture names): lowercase letters, digits and `-`, e.g.
 *   `amd64`, `all`, `musl-linux-arm64`. A binary package names one; a .dsc may list several.
 * @module
 */

const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const EPOCH = /^[0-9]+$/;
const UPSTREAM = /^[A-Za-z0-9.+~:-]+$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]*$/;

/** Why `name` is not a valid Package/Source name, or undefined. */
export function debNameProblem(name: string, field = "Package"): string | undefined {
  return PACKAGE.test(name)
    ? undefined
    : `${field} ${JSON.stringify(name)} is not a valid package name ` +
      `(policy: lowercase letters, digits, "+", "-", "."; two or more, starting alphanumeric)`;
}

/** Why `version` is not a valid Debian version, or undefined. */
export function debVersionProblem(version: string): string | undefined {
  const bad = (why: string) => `Version ${JSON.stringify(version)} is not a valid version (${why})`;
  let rest = version;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    if (!EPOCH.test(rest.slice(0, colon))) return bad("the epoch is not a number");
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf("-");
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  if (upstream === "") return bad("the upstream version is empty");
  if (!UPSTREAM.test(upstream) || (colon < 0 && upstream.includes(":"))) {
    return bad("the upstream version has characters other than letters, digits and . + ~ -");
  }
  if (hyphen >= 0) {
    const revision = rest.slice(hyphen + 1);
    if (revision === "") return bad("the revision after the last - is empty");
    if (!REVISION.test(revision)) {
      return bad("the revision has characters other than letters, digits and . + ~");
    }
  }
  return undefined;
}

/** Why `arch` is not a valid architecture name, or undefined. */
export function debArchitectureProblem(arch: string): string | undefined {
  return ARCHITECTURE.test(arch)
    ? undefined
    : `Architecture ${JSON.stringify(arch)} is not a valid architecture name ` +
      `(lowercase letters, digits and "-")`;
}
