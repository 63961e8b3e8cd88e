/**
 * Opens the storage for a location. The S3 backend (and the AWS SDK) is loaded only when an
 * S3 location is given, through a literal dynamic import that `deno compile` still bundles.
 * @module
 */
import type { Location } from "./location.ts";
import type { Storage } from "./storage.ts";
import { createFsStorage } from "./fs_storage.ts";
import type { S3StorageOptions } from "./s3_options.ts";

/**
 * S3 settings of a location (all optional; the SDK chain fills the rest): the S3 backend's
 * options but the bucket and prefix, which the location gives.
 */
export type S3Settings = Omit<S3StorageOptions, "bucket" | "prefix">;

/** Returns the storage for a location. */
export async function openStorage(location: Location, s3: S3Settings = {}): Promise<Storage> {
  if (location.kind === "fs") return createFsStorage(location.root);
  const { createS3Storage } = await import("./s3_storage.ts");
  return createS3Storage({ bucket: location.bucket, prefix: location.prefix, ...s3 });
}
