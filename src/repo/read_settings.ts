/**
 * What a repository's settings are before a run: the recorded `mkrepo.json`, or, when it is
 * absent (older mkrepo, the original mkrepo, createrepo_c, apt-ftparchive), settings derived from
 * what is published; and the repository's kind. `mkrepo settings` shows them (readSettings).
 * @module
 */
import { DEFAULT_DEB_HASHES } from "../record/checksums.ts";
import { type ObjectInfo, readText, type Storage } from "../storage/storage.ts";
import { detectKind, type RepoKind } from "../plan/layout.ts";
import {
  type DebSettings,
  parseSettings,
  type RepoSettings,
  SETTINGS_KEY,
} from "../record/repo_settings.ts";
import { parseRelease } from "../index/deb/release_file.ts";

/** Digests a deb repository lists when nothing says otherwise. */
export const DEFAULT_HASHES: DebSettings["hashes"] = [...DEFAULT_DEB_HASHES];

/** The kind of a repository: from its packages, else its settings, else its published metadata. */
export function repositoryKind(
  objects: readonly ObjectInfo[],
  recorded?: RepoSettings,
): RepoKind | undefined {
  const fromPackages = detectKind(objects);
  if (fromPackages) return fromPackages;
  if (recorded) return recorded.kind;
  if (objects.some((o) => /^dists\/[^/]+\/(In)?Release$/.test(o.key))) return "deb";
  if (objects.some((o) => o.key === "repodata/repomd.xml")) return "rpm";
  return undefined;
}

/** The recorded settings, or undefined when the repository has no mkrepo.json. */
export async function readRecordedSettings(
  storage: Storage,
  byKey: ReadonlyMap<string, ObjectInfo>,
): Promise<{ settings: RepoSettings; text: string } | undefined> {
  if (!byKey.has(SETTINGS_KEY)) return undefined;
  const text = await readText(storage, SETTINGS_KEY);
  return { settings: parseSettings(text, storage.describe(SETTINGS_KEY)), text };
}

/**
 * Settings of a repository without mkrepo.json, from what it publishes: signed when InRelease,
 * Release.gpg or repomd.xml.asc exist (by the keys their signatures name), Release fields,
 * repodata compression. Public read cannot be seen in a listing: derived as off.
 * Undefined when nothing is published yet.
 */
export async function deriveSettings(
  storage: Storage,
  objects: readonly ObjectInfo[],
): Promise<RepoSettings | undefined> {
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const text = (key: string) => readText(storage, key);
  const kind = repositoryKind(objects);
  const keys = new Set<string>();
  const issuers = async (key: string) => {
    const { signatureIssuers } = await import("../sign/openpgp_verify.ts");
    try {
      (await signatureIssuers(await text(key))).forEach((k) => keys.add(k));
    } catch {
      // An unreadable signature still means "signed": any key is then accepted and recorded.
    }
  };
  if (kind === "deb") {
    const dists = [
      ...new Set(
        objects.map((o) => /^dists\/([^/]+)\/(In)?Release$/.exec(o.key)?.[1]).filter((d) =>
          d !== undefined
        ),
      ),
    ].sort();
    if (dists.length === 0) return undefined;
    const archs = new Set<string>();
    const comps = new Set<string>();
    let fields: Map<string, string> | undefined;
    let signed = false;
    for (const dist of dists) {
      const base = `dists/${dist}/`;
      const inRelease = byKey.has(base + "InRelease");
      const release = parseRelease(await text(base + (inRelease ? "InRelease" : "Release")));
      release.architectures.forEach((a) => a !== "all" && a !== "source" && archs.add(a));
      release.components.forEach((c) => comps.add(c));
      fields ??= release.fields;
      if (inRelease) await issuers(base + "InRelease");
      if (byKey.has(base + "Release.gpg")) await issuers(base + "Release.gpg");
      signed ||= inRelease || byKey.has(base + "Release.gpg");
    }
    return {
      kind,
      signed,
      signingKeys: [...keys].sort(),
      publicRead: false,
      deb: {
        architectures: [...archs].sort(),
        components: comps.size > 0 ? [...comps].sort() : ["main"],
        origin: fields?.get("Origin"),
        label: fields?.get("Label"),
        description: fields?.get("Description"),
        hashes: DEFAULT_HASHES,
      },
    };
  }
  if (kind === "rpm") {
    const repomd = "repodata/repomd.xml";
    if (!byKey.has(repomd)) return undefined;
    const primary = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(
      await text(repomd),
    )?.[1] ?? "";
    const compression = primary.endsWith(".xz") ? "xz" : primary.endsWith(".zst") ? "zstd" : "gzip";
    const signed = byKey.has(repomd + ".asc");
    if (signed) await issuers(repomd + ".asc");
    return {
      kind,
      signed,
      signingKeys: [...keys].sort(),
      publicRead: false,
      rpm: { compression },
    };
  }
  return undefined;
}

/** The settings `mkrepo settings` shows: recorded, else derived; undefined when nothing is published. */
export async function readSettings(
  storage: Storage,
): Promise<{ settings?: RepoSettings; recorded: boolean }> {
  const objects = await Array.fromAsync(storage.list(""));
  const recorded = await readRecordedSettings(storage, new Map(objects.map((o) => [o.key, o])));
  if (recorded) return { settings: recorded.settings, recorded: true };
  return { settings: await deriveSettings(storage, objects), recorded: false };
}
