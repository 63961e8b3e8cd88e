/**
 * What the published Debian indexes were built from (`mkrepo-inputs.json`): a digest of the
 * run's inputs — the pool's files (key, size, modification time), the settings that shape the
 * indexes, mkrepo's version — and the SHA-256 of each dist's Release written from them. A run
 * whose inputs have the same digest, facing the same Release bytes, would build the same
 * indexes: it can skip reading them. Only a hint: bound to the exact Release bytes, so a stale
 * or foreign file (another run, another tool, a crash) never matches and the run reads the
 * indexes as usual.
 * @module
 */

/** Key of the record, relative to the repository root. */
export const INPUTS_KEY = "mkrepo-inputs.json";

/** The record's content. */
export interface IndexInputs {
  /** Digest of the inputs (inputsDigest in plan/deb_inputs.ts). */
  digest: string;
  /** Packages the indexes hold. */
  packages: number;
  /** SHA-256 of each dist's Release, by dist. */
  releases: Map<string, string>;
}

/** The record's text: stable (dists sorted), one JSON object. */
export function indexInputsText(inputs: IndexInputs): string {
  const releases = [...inputs.releases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(
    {
      about: "What the Debian indexes were built from; lets mkrepo skip reading them when " +
        "nothing changed (safe to delete)",
      digest: inputs.digest,
      packages: inputs.packages,
      releases: Object.fromEntries(releases),
    },
    null,
    2,
  ) + "\n";
}

/** Parses the record; undefined when it is not one (a hint: never an error). */
export function parseIndexInputs(text: string): IndexInputs | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = v as { digest?: unknown; packages?: unknown; releases?: unknown };
  if (typeof o?.digest !== "string" || typeof o.packages !== "number") return undefined;
  if (!o.releases || typeof o.releases !== "object" || Array.isArray(o.releases)) return undefined;
  const releases = new Map<string, string>();
  for (const [dist, sha] of Object.entries(o.releases)) {
    if (typeof sha !== "string") return undefined;
    releases.set(dist, sha);
  }
  return { digest: o.digest, packages: o.packages, releases };
}
