/**
 * The settings a repository carries in `mkrepo.json` at its root: every option that shapes
 * what is published (kind, signing key fingerprints, public read, grace period, retention,
 * Debian architectures, components, Release fields and digests, RPM compression, public key
 * name). Nothing secret:
 * fingerprints, never keys. This module only parses, checks and formats the file; reading it
 * from a repository, deriving it and deciding changes is src/repo/settings.ts.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { DEFAULT_DEB_HASHES, type HashName, isHashName } from "./checksums.ts";

/** Key of the settings file, relative to the repository root. */
export const SETTINGS_KEY = "mkrepo.json";

/** Version of the file format; a newer one is refused rather than misread. */
export const SETTINGS_FORMAT = 1;

/** Debian-only settings. */
export interface DebSettings {
  /** Architectures every dist declares ([]: those of the packages). */
  architectures: string[];
  /** Components recognised in pool/<dist>/<component>/. */
  components: string[];
  origin?: string;
  label?: string;
  description?: string;
  /** Package digests in Packages. */
  hashes: HashName[];
}

/** RPM-only settings. */
export interface RpmSettings {
  compression: "gzip" | "xz" | "zstd";
}

/** What `mkrepo.json` records. */
export interface RepoSettings {
  kind: "deb" | "rpm";
  /** Whether the metadata is signed. */
  signed: boolean;
  /**
   * Fingerprints (or long key ids, when derived from an old signature) of the signing keys;
   * empty with `signed` when the published signature named no readable key (any key is then
   * accepted, and recorded).
   */
  signingKeys: string[];
  /** Whether every object of the repository gets the public-read ACL. */
  publicRead: boolean;
  /** Name under which the signing public key is published, if any. */
  publicKey?: string;
  /** Seconds a file no index names is kept before it is deleted (undefined: one hour). */
  graceSeconds?: number;
  /** Retention: keep the N newest versions of each package (undefined: all). */
  keep?: number;
  /** Retention: drop versions older than D days, never a package's newest (undefined: no limit). */
  keepDays?: number;
  deb?: DebSettings;
  rpm?: RpmSettings;
}

/** Formats settings as the file's text (stable: the same settings give the same bytes). */
export function settingsText(s: RepoSettings): string {
  const out: Record<string, unknown> = {
    about: "Settings of this repository, reused by every mkrepo run; see mkrepo's docs/guide.md",
    format: SETTINGS_FORMAT,
    kind: s.kind,
    signed: s.signed,
    signingKeys: s.signingKeys,
    publicRead: s.publicRead,
  };
  if (s.publicKey !== undefined) out.publicKey = s.publicKey;
  if (s.graceSeconds !== undefined) out.graceSeconds = s.graceSeconds;
  if (s.keep !== undefined) out.keep = s.keep;
  if (s.keepDays !== undefined) out.keepDays = s.keepDays;
  if (s.kind === "deb" && s.deb) {
    out.deb = {
      architectures: s.deb.architectures,
      components: s.deb.components,
      ...(s.deb.origin !== undefined ? { origin: s.deb.origin } : {}),
      ...(s.deb.label !== undefined ? { label: s.deb.label } : {}),
      ...(s.deb.description !== undefined ? { description: s.deb.description } : {}),
      hashes: s.deb.hashes,
    };
  }
  if (s.kind === "rpm" && s.rpm) out.rpm = { compression: s.rpm.compression };
  return JSON.stringify(out, null, 2) + "\n";
}

/** Parses and checks the file's text; `where` names it in errors. */
export function parseSettings(text: string, where: string): RepoSettings {
  const fail = (reason: string) =>
    new MkrepoError({
      code: "malformed-index",
      key: where,
      action: "read settings",
      reason,
      hint: "fix the file by hand, or delete it: the next run derives it from what is published",
    });
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw fail(`it is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw fail("it is not a JSON object");
  if (typeof v.format === "number" && v.format > SETTINGS_FORMAT) {
    throw fail(`it has format ${v.format}, newer than this mkrepo reads (${SETTINGS_FORMAT})`);
  }
  const strings = (x: unknown, name: string): string[] => {
    if (!Array.isArray(x) || !x.every((s) => typeof s === "string" && s !== "")) {
      throw fail(`"${name}" must be a list of non-empty strings`);
    }
    return x;
  };
  const optString = (x: unknown, name: string): string | undefined => {
    if (x === undefined) return undefined;
    if (typeof x !== "string" || /[\r\n]/.test(x)) throw fail(`"${name}" must be one line`);
    return x;
  };
  if (v.kind !== "deb" && v.kind !== "rpm") throw fail(`"kind" must be "deb" or "rpm"`);
  if (typeof v.signed !== "boolean") throw fail(`"signed" must be true or false`);
  if (typeof v.publicRead !== "boolean") throw fail(`"publicRead" must be true or false`);
  const settings: RepoSettings = {
    kind: v.kind,
    signed: v.signed,
    signingKeys: strings(v.signingKeys ?? [], "signingKeys").map((k) => k.toUpperCase()),
    publicRead: v.publicRead,
    publicKey: optString(v.publicKey, "publicKey"),
  };
  if (v.graceSeconds !== undefined) {
    if (!Number.isInteger(v.graceSeconds) || (v.graceSeconds as number) < 0) {
      throw fail(`"graceSeconds" must be a whole number of seconds`);
    }
    settings.graceSeconds = v.graceSeconds as number;
  }
  for (const name of ["keep", "keepDays"] as const) {
    const n = v[name];
    if (n === undefined) continue;
    if (!Number.isInteger(n) || (n as number) < 1) {
      throw fail(`"${name}" must be a whole number from 1 (leave it out to keep everything)`);
    }
    settings[name] = n as number;
  }
  if (v.kind === "deb") {
    const d = (v.deb ?? {}) as Record<string, unknown>;
    const hashes = strings(d.hashes ?? DEFAULT_DEB_HASHES, "deb.hashes");
    if (!hashes.every(isHashName)) {
      throw fail(`"deb.hashes" may hold md5, sha1, sha256, sha512`);
    }
    settings.deb = {
      architectures: strings(d.architectures ?? [], "deb.architectures"),
      components: strings(d.components ?? ["main"], "deb.components"),
      origin: optString(d.origin, "deb.origin"),
      label: optString(d.label, "deb.label"),
      description: optString(d.description, "deb.description"),
      hashes: hashes as HashName[],
    };
  } else {
    const r = (v.rpm ?? {}) as Record<string, unknown>;
    const c = r.compression ?? "gzip";
    if (c !== "gzip" && c !== "xz" && c !== "zstd") {
      throw fail(`"rpm.compression" must be gzip, xz or zstd`);
    }
    settings.rpm = { compression: c };
  }
  return settings;
}
