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
  // pool/<dist>/<component>/<file...>: at least one more segment after the component
  // (indexOf rather than split: this runs several times per package of a large pool)
  if (key.startsWith("pool/")) {
    const a = key.indexOf("/", 5);
    const b = a < 0 ? -1 : key.indexOf("/", a + 1);
    if (b >= 0) {
      const component = key.slice(a + 1, b);
      if (components.has(component)) return { dist: key.slice(5, a), component };
    }
  }
  return { dist: DEFAULT_DIST, component: DEFAULT_COMPONENT };
}

/** Package file kinds found in a pool, by extension. */
export function debFileKind(key: string): "deb" | "udeb" | "ddeb" | "dsc" | undefined {
  const m = /\.(deb|udeb|ddeb|dsc)$/.exec(key);
  return m ? (m[1] as "deb" | "udeb" | "ddeb" | "dsc") : undefined;
}
