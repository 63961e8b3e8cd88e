/**
 * Object keys that may be listed in an index. A key becomes a `Filename:` (apt) or a
 * `location href` (dnf) that clients resolve against the repository URL, and a line of
 * malformed_list.txt:
 * - a `.` or `..` segment is removed by URL resolution (RFC 3986 section 5.2.4), so
 *   `pool/../../evil.deb` would be fetched from outside the repository;
 * - a control character (C0, DEL, C1) ends a deb822 field or a list line, or is not allowed in
 *   XML (XML 1.0 section 2.2).
 * A package under such a key is a malformed package, never indexed.
 * @module
 */

import { hasControlCharacter } from "../errors.ts";

/** Why a package key cannot be indexed, or undefined when it can. */
export function packageKeyProblem(key: string): string | undefined {
  if (hasControlCharacter(key)) return "its name contains a control character";
  const segments = key.split("/");
  if (segments.some((s) => s === "." || s === "..")) {
    return `its key has a "." or ".." segment, which clients resolve elsewhere`;
  }
  return undefined;
}
