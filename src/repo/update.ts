/**
 * Updates the repository found in a storage: lists it once, detects its kind, resolves its
 * settings (mkrepo.json: recorded values, the run's explicit options, the signing guard), and
 * hands over to the Debian or RPM updater. When another run publishes first (the conditional write of
 * the entry point fails), lists again, merges and retries, reusing the packages already read.
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import { CONFLICT_HINT, MkrepoError } from "../errors.ts";
import { layouts } from "../plan/layout.ts";
import { xzUnavailable } from "../index/compress.ts";
import type { DebUpdateOptions } from "./update_deb.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";
import type { Signer } from "../sign/signer.ts";
import type { ReadCache } from "./read_changed.ts";
import { resolveSettings, type SigningHints } from "./settings.ts";
import { readRecordedSettings, repositoryKind } from "./read_settings.ts";
import { applyPublicRead, packagesNeedingPublicRead } from "./public_read.ts";
import { SETTINGS_KEY } from "../record/repo_settings.ts";
import type { RemovePattern } from "../plan/remove_patterns.ts";
import { readCleanupRecord } from "../publish/unreferenced.ts";

/**
 * Options of updateRepository (kind-specific parts under `deb` and `rpm`). Options that shape
 * the published result are recorded in the repository's mkrepo.json; left undefined, they
 * keep the recorded value.
 */
export interface UpdateOptions {
  /** Location shown in messages and the summary. */
  path: string;
  events: RunEvents;
  force?: boolean;
  dryRun?: boolean;
  concurrency?: number;
  /** Key the run was explicitly asked to sign with. */
  signer?: Signer;
  /** Loads the configured key, if any, when the recorded settings say signed. */
  loadSigner?: () => Promise<Signer | undefined>;
  /** Publish unsigned on purpose (a signed repository is otherwise never unsigned). */
  noSign?: boolean;
  /** Sign with a key other than the recorded one on purpose (it replaces it). */
  replaceKey?: boolean;
  /** How the user passes a key, drops or replaces it (the CLI's words, for refusals). */
  signingHints?: SigningHints;
  publicKeyName?: string;
  /** How long files no index names are kept before deletion; undefined: as recorded (1h). */
  graceSeconds?: number;
  /** Keep the N newest versions of each package; 0: all (recorded; undefined: as recorded). */
  keep?: number;
  /** Drop versions older than D days, never the newest; 0: no limit (recorded). */
  keepDays?: number;
  /** `mkrepo remove`: packages these patterns match leave the index (files after the grace). */
  remove?: RemovePattern[];
  /** true: turn public read on; false: off; undefined: as recorded. */
  publicRead?: boolean;
  date?: Date;
  deb?: Pick<
    DebUpdateOptions,
    "hashes" | "architectures" | "components" | "origin" | "label" | "description"
  >;
  rpm?: { compression?: "gzip" | "xz" | "zstd" };
}

/** How many times a run that lost a race with another run starts over. */
export const CONFLICT_ATTEMPTS = 8;

/** Updates the Debian or RPM repository in `storage`. */
export async function updateRepository(
  storage: Storage,
  options: UpdateOptions,
): Promise<RepoSummary> {
  // deno-lint-ignore no-explicit-any
  const readCache: ReadCache<any> = new Map();
  for (let attempt = 1;; attempt++) {
    try {
      return await updateOnce(storage, options, readCache, attempt);
    } catch (err) {
      const conflict = err instanceof MkrepoError && err.code === "conflict";
      if (conflict && attempt >= CONFLICT_ATTEMPTS) {
        throw new MkrepoError({
          code: "conflict",
          key: options.path,
          action: "publish",
          reason: `other runs kept publishing first (${attempt} attempts)`,
          hint: CONFLICT_HINT,
          cause: err,
        });
      }
      if (!conflict) throw err;
      options.events.info(
        `Another run published ${options.path} first; merging and retrying (attempt ${
          attempt + 1
        })`,
      );
      await new Promise((r) => setTimeout(r, Math.random() * 100 * attempt));
    }
  }
}

async function updateOnce(
  storage: Storage,
  options: UpdateOptions,
  // deno-lint-ignore no-explicit-any
  readCache: ReadCache<any>,
  attempt: number,
): Promise<RepoSummary> {
  const objects = await Array.fromAsync(storage.list(""));
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const recorded = await readRecordedSettings(storage, byKey);
  const kind = repositoryKind(objects, recorded?.settings);
  if (kind) {
    const { events, path } = options;
    if (attempt === 1) {
      events.info(`Updating ${kind} repository: ${path}`);
      await layoutWarnings(objects, kind, path, events);
    }
    // Before anything is written: refuses to drop the signature or change the key silently.
    const resolved = await resolveSettings(storage, objects, kind, path, {
      signer: options.signer,
      loadSigner: options.loadSigner,
      noSign: options.noSign,
      replaceKey: options.replaceKey,
      publicRead: options.publicRead,
      publicKeyName: options.publicKeyName,
      graceSeconds: options.graceSeconds,
      keep: options.keep,
      keepDays: options.keepDays,
      deb: options.deb,
      rpm: options.rpm,
      hints: options.signingHints,
    }, recorded);
    const s = resolved.settings;
    if (attempt === 1) {
      if (resolved.signer && !options.signer) {
        events.info(`Signing with ${resolved.signer.description}, as the repository records`);
      }
      for (const change of resolved.changes) events.info(`${path}: ${change}`);
      if (resolved.file && resolved.derived) {
        events.info(`${path}: recording the settings it publishes with in ${SETTINGS_KEY}`);
      } else if (resolved.file && !recorded) {
        events.detail(`Recording the settings in ${SETTINGS_KEY}`);
      }
    }
    const everything = s.publicRead && !(resolved.previous?.publicRead ?? false);
    const common = {
      ...options,
      signer: resolved.signer,
      publicRead: s.publicRead,
      publicKeyName: s.publicKey,
      graceSeconds: s.graceSeconds,
      lifecycle: { policy: { keep: s.keep, keepDays: s.keepDays }, remove: options.remove },
      cleanup: await readCleanupRecord(storage, byKey),
      settingsFile: resolved.file,
      objects,
      // Packages get the ACL before any index names them.
      beforePublish: s.publicRead
        ? (summary: RepoSummary) =>
          applyPublicRead(
            storage,
            packagesNeedingPublicRead(kind, objects, summary, everything),
            { events, dryRun: options.dryRun, concurrency: options.concurrency },
          )
        : undefined,
    };
    // Each format's pipeline is loaded only when a repository of that format is updated.
    const summary = kind === "deb"
      ? await (await import("./update_deb.ts")).updateDebRepository(storage, {
        ...common,
        ...s.deb,
        architectures: s.deb!.architectures.length > 0 ? s.deb!.architectures : undefined,
        readCache,
      })
      : await (await import("./update_rpm.ts")).updateRpmRepository(storage, {
        ...common,
        compression: s.rpm!.compression,
        readCache,
      });
    summary.settingsChanged = resolved.changes;
    return summary;
  }
  throw new MkrepoError({
    code: "not-found",
    action: "update",
    key: options.path,
    reason: objects.length === 0
      ? "the location is empty or does not exist"
      : "it holds neither pool/ (Debian) nor Packages/ (RPM)",
    hint: "put .deb files under pool/ or .rpm files under Packages/, then run mkrepo again",
  });
}

/** Warnings about what a run leaves out: an RPM side next to a Debian one, Packages.xz. */
async function layoutWarnings(
  objects: readonly ObjectInfo[],
  kind: "deb" | "rpm",
  path: string,
  events: RunEvents,
): Promise<void> {
  if (kind !== "deb") return;
  if (layouts(objects).rpm) {
    events.warn(
      `${path} holds both pool/ (Debian) and Packages/ (RPM): building only the Debian ` +
        "repository (pool/ comes first, as in the original mkrepo); the packages under " +
        "Packages/ are not indexed: give them a PATH of their own",
    );
  }
  const noXz = await xzUnavailable();
  if (noXz) {
    events.warn(`Packages.xz and Sources.xz are not written (apt uses the .gz files): ${noXz}`);
  }
}
