/**
 * The repositories a command works on: each PATH argument opened as a storage (local folder or
 * S3 prefix, with the run's S3 settings), handed to the command, and closed after it.
 * @module
 */
import type { CliOptions } from "./args.ts";
import type { RunConfig } from "./config.ts";
import { s3Settings } from "./s3_options.ts";
import { type Location, parseLocation } from "../storage/location.ts";
import { openStorage } from "../storage/open_storage.ts";
import type { Storage } from "../storage/storage.ts";

/** Runs `fn` on each PATH of `opts`, in order, closing each storage whatever `fn` does. */
export async function forEachRepository(
  opts: CliOptions,
  config: RunConfig,
  fn: (storage: Storage, location: Location) => Promise<void>,
): Promise<void> {
  for (const arg of opts.paths) {
    const location = parseLocation(arg);
    const storage = await openStorage(location, s3Settings(opts, config, location.kind));
    try {
      await fn(storage, location);
    } finally {
      await storage.close?.();
    }
  }
}
