/**
 * Where a file under `pool/` is indexed, keeping the original mkrepo's rule
 * (tarantool/mkrepo debrepo.py `get_dist_from_path`): `pool/<dist>/<component>/...` goes to
 * `dists/<dist>/<component>/`, where the original only knew the component `main`; any other
 * file under `pool/` (e.g. Debian's own `pool/main/h/hello/...`) goes to dist `all`,
 * component `main`. We accept every component the user declared or an existing Release lists.
 * @module
 */

/** Dist and component of a pool file. */
export interface PoolPlace {
  dist: string;
  component: string;
}

/** Dist used for files that do not sit under `pool/<dist>/<component>/`. */
export const DEFAULT_DIST = "all";
/** Component used when the path names none. */
export const DEFAULT_COMPONENT = "main";

/** Maps a pool key to its dist and component, given the known components. */
export function poolPlace(key: string, components: ReadonlySet<string>): PoolPlace {
  const parts = key.split("/");
  // pool/<dist>/<component>/<file...>: at least one more segment after the component
  if (parts.length >= 4 && parts[0] === "pool" && components.has(parts[2])) {
    return { dist: parts[1], component: parts[2] };
  }
  return { dist: DEFAULT_DIST, component: DEFAULT_COMPONENT };
}

/** Package file kinds found in a pool, by extension. */
export function debFileKind(key: string): "deb" | "udeb" | "ddeb" | "dsc" | undefined {
  const m = /\.(deb|udeb|ddeb|dsc)$/.exec(key);
  return m ? (m[1] as "deb" | "udeb" | "ddeb" | "dsc") : undefined;
}
