/**
 * Updates the repository found in a storage: lists it once, detects its kind and hands over
 * to the Debian or RPM updater. When another run publishes first (the conditional write of
 * the entry point fails), lists again, merges and retries, reusing the packages already read.
 * @module
 */
import type { Storage } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import { detectKind, layouts } from "../plan/layout.ts";
import { xzUnavailable } from "../index/compress.ts";
import { type DebUpdateOptions, updateDebRepository } from "./update_deb.ts";
import { updateRpmRepository } from "./update_rpm.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";
import type { Signer } from "../sign/signer.ts";
import type { ReadCache } from "./read_changed.ts";

/** Options of updateRepository (kind-specific parts under `deb` and `rpm`). */
export interface UpdateOptions {
  /** Location shown in messages and the summary. */
  path: string;
  events: RunEvents;
  force?: boolean;
  dryRun?: boolean;
  concurrency?: number;
  signer?: Signer;
  publicKeyName?: string;
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
          hint: "run mkrepo again once the other jobs are done; nothing was lost",
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
  const found = layouts(objects);
  const kind = detectKind(objects);
  if (kind === "deb") {
    if (attempt === 1) options.events.info(`Updating deb repository: ${options.path}`);
    if (found.rpm) {
      options.events.warn(
        `${options.path} holds both pool/ (Debian) and Packages/ (RPM): building only the Debian ` +
          "repository (pool/ comes first, as in the original mkrepo); the packages under " +
          "Packages/ are not indexed: give them a PATH of their own",
      );
    }
    const noXz = attempt === 1 ? await xzUnavailable() : undefined;
    if (noXz) {
      options.events.warn(
        `Packages.xz and Sources.xz are not written (apt uses the .gz files): ${noXz}`,
      );
    }
    return await updateDebRepository(storage, { ...options, ...options.deb, objects, readCache });
  }
  if (kind === "rpm") {
    if (attempt === 1) options.events.info(`Updating rpm repository: ${options.path}`);
    return await updateRpmRepository(storage, {
      ...options,
      compression: options.rpm?.compression,
      objects,
      readCache,
    });
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
