/**
 * Paths of the test fixtures in tests/fixtures: real packages copied byte for byte from the
 * project's shared fixture set, with their provenance and licences (MANIFEST.tsv, README.md).
 * @module
 */
import { fileURLToPath } from "node:url";

/** Absolute path of tests/fixtures/, with a trailing slash. */
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

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
