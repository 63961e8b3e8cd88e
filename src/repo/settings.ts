/**
 * A repository's settings across runs: merges the run's explicit options over the recorded (or
 * derived, read_settings.ts) values, refuses a run that would drop the signature or change the
 * key by accident, lists the changes, and plans the new text of `mkrepo.json`. The file is
 * published with the indexes, before the entry points (see docs/decisions.md).
 * @module
 */
import { HASH_NAMES } from "../record/checksums.ts";
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import type { RepoKind } from "../plan/layout.ts";
import {
  type DebSettings,
  type RepoSettings,
  type RpmSettings,
  SETTINGS_KEY,
  settingsText,
} from "../record/repo_settings.ts";
import { CACHE_INDEX, type OutputFile } from "../publish/publish_plan.ts";
import { changesOf } from "./settings_text.ts";
import { DEFAULT_HASHES, deriveSettings } from "./read_settings.ts";
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
