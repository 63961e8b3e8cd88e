/**
 * Repository kind detection, as the original mkrepo: objects under `pool/` make a Debian
 * repository, objects under `Packages/` an RPM one.
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";

/** Kind of repository found at a location. */
export type RepoKind = "deb" | "rpm";

/** Which layouts a listing holds: objects under `pool/` (deb) and under `Packages/` (rpm). */
export function layouts(objects: Iterable<ObjectInfo>): Record<RepoKind, boolean> {
  const found = { deb: false, rpm: false };
  for (const o of objects) {
    if (o.key.startsWith("pool/")) found.deb = true;
    else if (o.key.startsWith("Packages/")) found.rpm = true;
  }
  return found;
}

/**
 * Detects the repository kind from a listing; undefined when neither layout is present.
 * `pool/` wins when both are, as in the original mkrepo.
 */
export function detectKind(objects: Iterable<ObjectInfo>): RepoKind | undefined {
  const found = layouts(objects);
  return found.deb ? "deb" : found.rpm ? "rpm" : undefined;
}
