/**
 * Paths of the shared fixtures (../shared/fixtures, read-only; provenance in its MANIFEST.tsv).
 * Fails clearly when the shared folder is missing.
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Absolute path of ../shared/fixtures relative to the project root. */
export const FIXTURES = fileURLToPath(new URL("../../../shared/fixtures/", import.meta.url));

if (!existsSync(FIXTURES)) {
  throw new Error(
    `Shared fixtures not found at ${FIXTURES}: clone the project next to the shared/ folder`,
  );
}

/** Absolute path of a fixture, e.g. fixture("deb/hello_2.10-3_amd64.deb"). */
export function fixture(rel: string): string {
  return FIXTURES + rel;
}

/** Lists fixture file names in a folder ("deb", "rpm", "bad"), sorted. */
export function fixtureNames(folder: string, filter?: (name: string) => boolean): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(FIXTURES + folder)) {
    if (e.isFile && (!filter || filter(e.name))) names.push(e.name);
  }
  return names.sort();
}

/** Reference outputs of apt-ftparchive and createrepo_c (see reference/README.txt). */
export const REFERENCE = FIXTURES + "reference/";
