/**
 * File lists of .dsc files and Sources indexes (Files, Checksums-Sha1/Sha256/Sha512: one
 * " <hash> <size> <name>" line per file): parse them into one entry per file, and format them.
 * @module
 */
import type { Checksums, HashName } from "./checksums.ts";
import type { Deb822Field } from "./deb_package.ts";
import { type Deb822Options, fail } from "./deb822.ts";

/** File-list fields of .dsc files and Sources indexes, and the digest each one carries. */
export const FILE_LIST_FIELDS: readonly (readonly [name: string, hash: HashName])[] = [
  ["Files", "md5"],
  ["Checksums-Sha1", "sha1"],
  ["Checksums-Sha256", "sha256"],
  ["Checksums-Sha512", "sha512"],
];

const HEX_LENGTH: Record<HashName, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };
const LIST_LINE = /^([0-9a-fA-F]+)[ \t]+([0-9]+)[ \t]+(\S+)$/;

/** The digest a file-list field carries (Files, Checksums-Md5/Sha1/Sha256/Sha512), if it is one. */
export function fileListHash(name: string): HashName | undefined {
  const lower = name.toLowerCase();
  if (lower === "files" || lower === "checksums-md5") return "md5";
  for (const [field, hash] of FILE_LIST_FIELDS) if (field.toLowerCase() === lower) return hash;
  return undefined;
}

/**
 * Collects the file lists of a paragraph (" <hash> <size> <name>" lines) into one entry per file
 * name, in order of first appearance, checking digests and that sizes agree. File names holding
 * a "/" or equal to "." or ".." are refused (they would escape the package's directory).
 */
export function parseFileLists(
  fields: readonly Deb822Field[],
  options: Deb822Options = {},
): { name: string; checksums: Checksums }[] {
  const files = new Map<string, { name: string; checksums: Checksums }>();
  for (const [field, value] of fields) {
    const hash = fileListHash(field);
    if (!hash) continue;
    for (const raw of value.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      const m = line.match(LIST_LINE);
      if (!m || m[1].length !== HEX_LENGTH[hash]) {
        throw fail(options, `${field} has an invalid line ${JSON.stringify(line.slice(0, 200))}`);
      }
      const [, digest, sizeText, name] = m;
      if (name.includes("/") || name === "." || name === "..") {
        throw fail(options, `${field} names a file outside its directory: ${JSON.stringify(name)}`);
      }
      const size = Number(sizeText);
      let entry = files.get(name);
      if (!entry) {
        entry = { name, checksums: { size } };
        files.set(name, entry);
      } else if (entry.checksums.size !== size) {
        throw fail(
          options,
          `${field} gives ${name} a size of ${size}, another list ${entry.checksums.size}`,
        );
      }
      const known = entry.checksums[hash];
      if (known !== undefined && known !== digest.toLowerCase()) {
        throw fail(options, `${name} has two different ${hash} digests`);
      }
      entry.checksums[hash] = digest.toLowerCase();
    }
  }
  return [...files.values()];
}

/** The value of a file-list field for `hash` (each line " <hash> <size> <name>"), or undefined
 * if a file lacks that digest. */
export function formatFileList(
  files: readonly { name: string; checksums: Checksums }[],
  hash: HashName,
): string | undefined {
  let out = "";
  for (const file of files) {
    const digest = file.checksums[hash];
    if (digest === undefined) return undefined;
    out += `\n ${digest} ${file.checksums.size} ${file.name}`;
  }
  return out;
}
