/**
 * Repository kind detection, as the original mkrepo: objects under `pool/` make a Debian
 * repository, objects under `Packages/` an RPM one.
 * @module
 */
import type { ObjectInfo } from "../storage/storage.ts";

/** Kind of repository found at a location. */
export type RepoKind = "deb" | "rpm";

/** Detects the repository kind from a listing; undefined when neither layout is present. */
export function detectKind(objects: Iterable<ObjectInfo>): RepoKind | undefined {
  let rpm = false;
  for (const o of objects) {
    if (o.key.startsWith("pool/")) return "deb";
    if (o.key.startsWith("Packages/")) rpm = true;
  }
  return rpm ? "rpm" : undefined;
}
