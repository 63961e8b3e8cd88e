/**
 * Where a file under `pool/` is indexed, keeping the original mkrepo's rule
 * (tarantool/mkrepo debrepo.py `get_dist_from_path`): `pool/<dist>/<component>/...` goes to
 * `dists/<dist>/<component>/`, where the original only knew the component `main`; any other
 * file under `pool/` (e.g. Debian's own `pool/main/h/hello/...`) goes to dist `all`,
 * component `main`. We accept every component the user declared or an existing Release lists.
 * @module
 */
import { debFileKind } from "../record/deb_package.ts";

/** Dist and component of a pool file. */
export interface PoolPlace {
  dist: string;
  component: string;
}

/** Dist used for files that do not sit under `pool/<dist>/<component>/`. */
export const DEFAULT_DIST = "all";
/** Component used when the path names none. */
export const DEFAULT_COMPONENT = "main";

/**
 * Dist names taken from a pool path become `dists/<dist>/` and the suite clients name in
 * their sources: Debian's suite and codename characters (letters, digits, `.`, `_`, `+`, `~`,
 * `-`; debian-policy 5.6.14 and dak's suite names), starting with a letter or digit.
 */
const DIST_NAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

/** True when `name` can be a dist taken from a pool path. */
export function isDistName(name: string): boolean {
  return DIST_NAME.test(name);
}

/**
 * Maps a pool key to its dist and component, given the known components. A path naming a dist
 * that cannot be one (`pool/../main/x.deb`, `pool/a b/main/x.deb`) gives the default place:
 * {@linkcode poolPlaceProblem} makes such a package malformed before it is placed.
 */
export function poolPlace(key: string, components: ReadonlySet<string>): PoolPlace {
  // pool/<dist>/<component>/<file...>: at least one more segment after the component
  // (indexOf rather than split: this runs several times per package of a large pool)
  if (key.startsWith("pool/")) {
    const a = key.indexOf("/", 5);
    const b = a < 0 ? -1 : key.indexOf("/", a + 1);
    if (b >= 0) {
      const component = key.slice(a + 1, b);
      const dist = key.slice(5, a);
      if (components.has(component) && isDistName(dist)) return { dist, component };
    }
  }
  return { dist: DEFAULT_DIST, component: DEFAULT_COMPONENT };
}

/** Archive areas of Debian and Ubuntu: names that are components, never pool letter folders. */
const WELL_KNOWN_COMPONENTS = new Set([
  "main",
  "contrib",
  "non-free",
  "non-free-firmware",
  "restricted",
  "universe",
  "multiverse",
]);

/**
 * Warnings for `pool/<dist>/<component>/` folders holding packages whose component is a
 * well-known one but not declared, so they go to dist "all": one per folder.
 */
export function undeclaredComponentWarnings(
  keys: Iterable<string>,
  components: ReadonlySet<string>,
): string[] {
  const folders = new Map<string, string>();
  for (const key of keys) {
    const parts = key.split("/");
    if (parts.length < 4 || parts[0] !== "pool" || !debFileKind(key)) continue;
    if (components.has(parts[2]) || !WELL_KNOWN_COMPONENTS.has(parts[2])) continue;
    folders.set(`pool/${parts[1]}/${parts[2]}/`, parts[2]);
  }
  const flag = `--deb-components ${[...new Set([...components, ...folders.values()])].join(",")}`;
  return [...folders].map(([folder, component]) =>
    `${folder} is indexed in dist "${DEFAULT_DIST}", component "${DEFAULT_COMPONENT}": ` +
    `"${component}" is not a declared component; to index it as ${
      folder.replace(/^pool\//, "dists/")
    }, run with ${flag}`
  );
}

/** Why a pool key cannot be placed (its dist segment is no dist name), or undefined. */
export function poolPlaceProblem(
  key: string,
  components: ReadonlySet<string>,
): string | undefined {
  const parts = key.split("/");
  if (parts.length >= 4 && parts[0] === "pool" && components.has(parts[2])) {
    if (!isDistName(parts[1])) {
      return `its path names the dist "${parts[1]}", which is not a valid suite name`;
    }
  }
  return undefined;
}
