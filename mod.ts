/**
 * mkrepo: turn a folder of .deb or .rpm packages, on local disk or in an S3 bucket, into a
 * signed repository that apt and dnf/yum install from, and keep it up to date incrementally.
 *
 * As a program: `deno run -A mod.ts [options] PATH...` (see `--help`).
 * As a library: open a storage and call updateRepository().
 *
 * @example
 * ```ts
 * import { createFsStorage, updateRepository, silentEvents } from "./mod.ts";
 * const summary = await updateRepository(createFsStorage("/srv/repo"), { path: "/srv/repo", events: silentEvents });
 * console.log(summary.added);
 * ```
 * @module
 */
import { runCli as main } from "./src/cli/run.ts";

export { type UpdateOptions, updateRepository } from "./src/repo/update.ts";
export { type RepoSummary, type RunEvents, silentEvents } from "./src/repo/run_types.ts";
export { createFsStorage } from "./src/storage/fs_storage.ts";
export { openStorage, type S3Settings } from "./src/storage/open_storage.ts";
export { parseLocation } from "./src/storage/location.ts";
export type { ObjectInfo, Storage, WriteOptions } from "./src/storage/storage.ts";
export { MkrepoError } from "./src/errors.ts";
export { createSigner, type Signer } from "./src/sign/signer.ts";
export { generateKey } from "./src/sign/keygen.ts";
export { runCli as main } from "./src/cli/run.ts";

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
