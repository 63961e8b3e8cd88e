/**
 * Updates the repository found in a storage: lists it once, detects its kind and hands over
 * to the Debian or RPM updater.
 * @module
 */
import type { Storage } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import { detectKind } from "../plan/layout.ts";
import { type DebUpdateOptions, updateDebRepository } from "./update_deb.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";
import type { Signer } from "../sign/signer.ts";

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

/** Updates the Debian or RPM repository in `storage`. */
export async function updateRepository(
  storage: Storage,
  options: UpdateOptions,
): Promise<RepoSummary> {
  const objects = await Array.fromAsync(storage.list(""));
  const kind = detectKind(objects);
  if (kind === "deb") {
    options.events.info(`Updating deb repository: ${options.path}`);
    return await updateDebRepository(storage, { ...options, ...options.deb, objects });
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
