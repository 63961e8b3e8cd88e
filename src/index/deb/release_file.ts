/**
 * The Release file of a dist: metadata fields, then MD5Sum/SHA1/SHA256/SHA512 lists of every
 * index file with its size, as apt-ftparchive writes them. Also the reader for an existing
 * Release (or InRelease), used to take over a repository and to keep the previous generation.
 * @module
 */
import type { Checksums, HashName } from "../../record/checksums.ts";
import { stripClearSign } from "../../record/clear_signed.ts";

/** Metadata fields of a Release. */
export interface ReleaseMeta {
  origin: string;
  label: string;
  suite: string;
  codename: string;
  /** Date as RFC 2822 in UTC. */
  date: Date;
  architectures: string[];
  components: string[];
  description: string;
}

/** An index file listed in a Release: path relative to `dists/<dist>/`. */
export interface ReleaseEntry {
  path: string;
  checksums: Checksums;
}

/** Release field name of each digest, in the order apt-ftparchive writes them. */
export const RELEASE_HASH_FIELDS: readonly [HashName, string][] = [
  ["md5", "MD5Sum"],
  ["sha1", "SHA1"],
  ["sha256", "SHA256"],
  ["sha512", "SHA512"],
];

/** Formats a date as apt expects in Release (RFC 2822, UTC). */
export function releaseDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "UTC");
}

/** The metadata fields of a Release, in the order they are written (`Acquire-By-Hash: yes` last). */
export function releaseFields(meta: ReleaseMeta): [string, string][] {
  return [
    ["Origin", meta.origin],
    ["Label", meta.label],
    ["Suite", meta.suite],
    ["Codename", meta.codename],
    ["Date", releaseDate(meta.date)],
    ["Architectures", meta.architectures.join(" ")],
    ["Components", meta.components.join(" ")],
    ["Description", meta.description],
    ["Acquire-By-Hash", "yes"],
  ];
}

/** Release text: fields, then one list per digest (sizes right-aligned in 16 columns, as apt-ftparchive). `Acquire-By-Hash: yes` is always set. */
export function releaseText(meta: ReleaseMeta, entries: readonly ReleaseEntry[]): string {
  const lines = releaseFields(meta).map(([name, value]) => `${name}: ${value}`);
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const [hash, field] of RELEASE_HASH_FIELDS) {
    lines.push(`${field}:`);
    for (const e of sorted) {
      const digest = e.checksums[hash];
      if (!digest) throw new Error(`internal: ${e.path} has no ${hash}`);
      lines.push(` ${digest} ${String(e.checksums.size).padStart(16)} ${e.path}`);
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * True when a published Release says what `releaseText(meta, entries)` would, apart from its
 * Date: the same fields in the same order, and the same files with the same size and digests.
 * Decided from the entries, without writing and parsing the new text.
 */
export function sameRelease(
  published: ParsedRelease,
  meta: ReleaseMeta,
  entries: readonly ReleaseEntry[],
): boolean {
  const listFields = new Set(RELEASE_HASH_FIELDS.map(([, field]) => field));
  const old = [...published.fields].filter(([name]) => name !== "Date" && !listFields.has(name));
  const now = releaseFields(meta).filter(([name]) => name !== "Date");
  if (old.length !== now.length || old.some(([n, v], i) => n !== now[i][0] || v !== now[i][1])) {
    return false;
  }
  if (published.entries.size !== entries.length) return false;
  return entries.every(({ path, checksums }) => {
    const was = published.entries.get(path);
    return was !== undefined && was.size === checksums.size &&
      RELEASE_HASH_FIELDS.every(([hash]) => was[hash] === checksums[hash]);
  });
}

/** What an existing Release says. */
export interface ParsedRelease {
  fields: Map<string, string>;
  architectures: string[];
  components: string[];
  entries: Map<string, Checksums>;
}

/** Parses Release text (or InRelease). Unknown fields are kept in `fields`. */
export function parseRelease(text: string): ParsedRelease {
  const fields = new Map<string, string>();
  const entries = new Map<string, Checksums>();
  let current: string | undefined;
  const hashOf = new Map(RELEASE_HASH_FIELDS.map(([h, f]) => [f.toLowerCase(), h]));
  for (const line of stripClearSign(text, { strict: false }).split("\n")) {
    if (line === "") continue;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      const hash = current ? hashOf.get(current.toLowerCase()) : undefined;
      if (hash) {
        const [digest, size, path] = line.trim().split(/\s+/);
        if (path) {
          const e = entries.get(path) ?? { size: Number(size) };
          e[hash] = digest;
          entries.set(path, e);
        }
      } else if (current) {
        fields.set(current, fields.get(current) + "\n" + line.slice(1));
      }
      continue;
    }
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    current = line.slice(0, colon);
    fields.set(current, line.slice(colon + 1).trim());
  }
  const words = (name: string) => (fields.get(name) ?? "").split(/\s+/).filter((s) => s);
  return {
    fields,
    architectures: words("Architectures"),
    components: words("Components"),
    entries,
  };
}
