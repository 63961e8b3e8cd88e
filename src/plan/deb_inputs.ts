/**
 * The inputs of a Debian run, as one digest: every file under `pool/` (key, size, modification
 * time — what decides whether a published record is reused), the settings that shape the
 * indexes' content, and mkrepo's version. Two runs with the same digest build the same indexes
 * from the same published Release, so a run can compare digests instead of reading every index
 * (record/index_inputs.ts; the Release fields the user sets, Origin to architectures, are
 * checked against the Release itself). Whatever depends on the clock (`--keep-days`), on a command
 * (`mkrepo remove`) or on files pending deletion is not covered: such runs read the indexes.
 * @module
 */
import type { HashName } from "../record/checksums.ts";
import { type IndexInputs, INPUTS_KEY, parseIndexInputs } from "../record/index_inputs.ts";
import { type ObjectInfo as ObjectInfo, readText, type Storage } from "../storage/storage.ts";
import { MultiHasher } from "../util/multi_hasher.ts";
import { VERSION } from "../version.ts";
import type { PublishedDist } from "./published_deb.ts";

/** The settings of a Debian run that shape its indexes. */
export interface DebIndexSettings {
  hashes: readonly HashName[];
  /** Components recognised in pool paths: they decide where a package is indexed. */
  components: readonly string[];
  signed: boolean;
  force: boolean;
  keep?: number;
}

/** The digest of a run's inputs: the listing's pool files and the settings. */
export function debInputsDigest(
  objects: readonly ObjectInfo[],
  settings: DebIndexSettings,
): string {
  const pool = objects.filter((o) => o.key.startsWith("pool/"));
  if (pool.some((o, i) => i > 0 && pool[i - 1].key >= o.key)) {
    pool.sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  const hasher = new MultiHasher(["sha256"]);
  const encoder = new TextEncoder();
  hasher.update(encoder.encode(JSON.stringify({ version: VERSION, ...settings }) + "\n"));
  let lines: string[] = [];
  const flush = () => {
    hasher.update(encoder.encode(lines.join("")));
    lines = [];
  };
  for (const o of pool) {
    lines.push(`${JSON.stringify(o.key)} ${o.size} ${o.mtime}\n`);
    if (lines.length === 4096) flush();
  }
  flush();
  return hasher.digest().sha256!;
}

/**
 * True when the published dists are exactly those `inputs` names, each with the Release
 * written then, and the run's inputs have the recorded digest.
 */
export function sameInputs(
  inputs: IndexInputs | undefined,
  dists: ReadonlyMap<string, PublishedDist>,
  digest: string,
): boolean {
  if (!inputs || inputs.digest !== digest || inputs.releases.size !== dists.size) return false;
  for (const [dist, d] of dists) {
    if (d.releaseSha256 === undefined || inputs.releases.get(dist) !== d.releaseSha256) {
      return false;
    }
  }
  return true;
}

/** The published record of the inputs, with its text; undefined when there is none. */
export async function readIndexInputs(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
): Promise<{ inputs?: IndexInputs; text: string } | undefined> {
  if (!byKey.has(INPUTS_KEY)) return undefined;
  const text = await readText(storage, INPUTS_KEY);
  return { inputs: parseIndexInputs(text), text };
}
