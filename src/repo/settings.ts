/**
 * A repository's settings across runs: reads `mkrepo.json`, derives it from what is published
 * when it is absent (older mkrepo, the original mkrepo, createrepo_c, apt-ftparchive), merges
 * the run's explicit options over the recorded values, refuses a run that would drop the
 * signature or change the key by accident, lists the changes, and plans the file's new text.
 * The file is published with the indexes, before the entry points (see docs/decisions.md).
 * @module
 */
import { DEFAULT_DEB_HASHES, HASH_NAMES } from "../record/checksums.ts";
import { type ObjectInfo, readText, type Storage } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import { detectKind, type RepoKind } from "../plan/layout.ts";
import {
  type DebSettings,
  parseSettings,
  type RepoSettings,
  type RpmSettings,
  SETTINGS_KEY,
  settingsText,
} from "../record/repo_settings.ts";
import { parseRelease } from "../index/deb/release_file.ts";
import { CACHE_INDEX, type OutputFile } from "../publish/publish_plan.ts";
import { changesOf } from "./settings_text.ts";
import type { Signer } from "../sign/signer.ts";

/** Where the CLI tells users how to act on a refused run (repo/ knows no flag names). */
export interface SigningHints {
  /** How to give the run the key ("pass it with MKREPO_SIGNING_KEY, …"). */
  passKey: string;
  /** How to publish unsigned on purpose. */
  noSign: string;
  /** How to replace the recorded key on purpose. */
  replaceKey: string;
  /** How to sign a run that was asked to publish the public key. */
  signForKey: string;
}

/** What the run asks for; undefined fields keep the recorded value. */
export interface SettingsRequest {
  /** Signer the run was explicitly asked to sign with. */
  signer?: Signer;
  /** Loads the configured key (if any) when the recorded settings say signed. */
  loadSigner?: () => Promise<Signer | undefined>;
  /** Publish unsigned on purpose. */
  noSign?: boolean;
  /** Accept a signer whose fingerprint is not the recorded one (it replaces it). */
  replaceKey?: boolean;
  publicRead?: boolean;
  publicKeyName?: string;
  graceSeconds?: number;
  /** Keep the N newest versions of each package; 0 turns retention by count off. */
  keep?: number;
  /** Drop versions older than D days (never the newest); 0 turns it off. */
  keepDays?: number;
  deb?: Partial<DebSettings>;
  rpm?: Partial<RpmSettings>;
  hints?: SigningHints;
}

/** The settings a run publishes with. */
export interface ResolvedSettings {
  settings: RepoSettings;
  /** Settings before the run (recorded, or derived when `derived`); undefined when new. */
  previous?: RepoSettings;
  /** True when `previous` was derived from the published files (no mkrepo.json yet). */
  derived: boolean;
  /** The key to sign with (undefined: unsigned). */
  signer?: Signer;
  /** Human-readable changes ("architectures: amd64 → amd64 arm64"). */
  changes: string[];
  /** mkrepo.json to publish with the indexes, when its text changes. */
  file?: OutputFile;
}

const DEFAULT_HASHES: DebSettings["hashes"] = [...DEFAULT_DEB_HASHES];

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

/** True when a signer's fingerprint is one of the recorded ones (a long key id matches its tail). */
function knownKey(fingerprint: string, recorded: readonly string[]): boolean {
  const f = fingerprint.toUpperCase();
  return recorded.some((k) => f === k || (k.length >= 16 && f.endsWith(k)));
}

/** Decides the run's signer, refusing to drop the signature or change the key by accident. */
async function decideSigner(
  path: string,
  previous: RepoSettings | undefined,
  request: SettingsRequest,
): Promise<Signer | undefined> {
  if (request.noSign) return undefined;
  let signer = request.signer;
  if (!previous?.signed) return signer;
  const expected = previous.signingKeys.length > 0
    ? `key ${previous.signingKeys.join(", ")}`
    : "a key";
  const hint = (how: string) =>
    [how, request.hints?.noSign].filter((h) => h !== undefined).join("; ");
  signer ??= await request.loadSigner?.();
  if (!signer) {
    throw new MkrepoError({
      code: "signing",
      action: "update",
      key: path,
      reason: `it is signed by ${expected} and this run has no signing key (nothing was written)`,
      hint: hint(request.hints?.passKey ?? "give the run the signing key"),
    });
  }
  if (
    previous.signingKeys.length > 0 && !request.replaceKey &&
    !knownKey(signer.fingerprint, previous.signingKeys)
  ) {
    throw new MkrepoError({
      code: "signing",
      action: "update",
      key: path,
      reason: `it is signed by ${expected}, not by this run's key ${signer.fingerprint} ` +
        "(nothing was written)",
      hint: hint(request.hints?.replaceKey ?? "give the run the recorded key"),
    });
  }
  return signer;
}

/**
 * Resolves the settings of this run: the explicit request over the recorded (or derived)
 * settings, over the defaults. Throws before anything is written when the run would drop
 * the signature, or sign with another key, without saying so. `recorded` is what
 * readRecordedSettings() returned.
 */
export async function resolveSettings(
  storage: Storage,
  objects: readonly ObjectInfo[],
  kind: RepoKind,
  path: string,
  request: SettingsRequest,
  recorded: { settings: RepoSettings; text: string } | undefined,
): Promise<ResolvedSettings> {
  const derived = recorded ? undefined : await deriveSettings(storage, objects);
  let previous = recorded?.settings ?? derived;
  if (previous && previous.kind !== kind) previous = undefined; // the layout changed kind
  const signer = await decideSigner(path, previous, request);
  if (request.publicKeyName !== undefined && !signer) {
    throw new MkrepoError({
      code: "usage",
      action: "publish the public key",
      key: path,
      reason: "the repository is not signed by this run, so there is no key to publish",
      hint: request.hints?.signForKey ?? "sign the run",
    });
  }
  const settings: RepoSettings = {
    kind,
    signed: signer !== undefined,
    signingKeys: signer ? [signer.fingerprint.toUpperCase()] : [],
    publicRead: request.publicRead ?? previous?.publicRead ?? false,
    publicKey: request.publicKeyName ?? previous?.publicKey,
    graceSeconds: request.graceSeconds ?? previous?.graceSeconds,
    // 0 turns retention off: the value leaves the file.
    keep: (request.keep ?? previous?.keep) || undefined,
    keepDays: (request.keepDays ?? previous?.keepDays) || undefined,
  };
  if (
    signer && previous?.signed && knownKey(signer.fingerprint, previous.signingKeys) &&
    previous.signingKeys.length > 1
  ) {
    settings.signingKeys = previous.signingKeys; // keep the recorded list as it is
  }
  if (kind === "deb") {
    const d = request.deb ?? {};
    const p = previous?.deb;
    // Lists as sets, in the order Release and Packages write them.
    const set = (l: readonly string[]) => [...new Set(l)].sort();
    const hashes = d.hashes ?? p?.hashes ?? DEFAULT_HASHES;
    settings.deb = {
      architectures: set(d.architectures ?? p?.architectures ?? []),
      components: set(d.components ?? p?.components ?? ["main"]),
      origin: d.origin ?? p?.origin,
      label: d.label ?? p?.label,
      description: d.description ?? p?.description,
      hashes: HASH_NAMES.filter((h) => hashes.includes(h)),
    };
  } else {
    settings.rpm = {
      compression: request.rpm?.compression ?? previous?.rpm?.compression ?? "gzip",
    };
  }
  const text = settingsText(settings);
  const file: OutputFile | undefined = recorded?.text === text ? undefined : {
    key: SETTINGS_KEY,
    data: text,
    contentType: "application/json",
    cacheControl: CACHE_INDEX,
    restore: recorded ? { kind: "bytes", data: recorded.text } : { kind: "remove" },
  };
  return {
    settings,
    previous,
    derived: derived !== undefined,
    signer,
    changes: previous ? changesOf(previous, settings) : [],
    file,
  };
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
