/**
 * The settings of the S3 backend (s3_storage.ts) and their defaults, apart from the SDK: what
 * `--s3-*` options and the wiring pass, and what the storage does when they are left out.
 * @module
 */

/** Options of {@linkcode createS3Storage} (s3_storage.ts). */
export interface S3StorageOptions {
  bucket: string;
  /** Key prefix of the repository root inside the bucket ("" or "repos/centos/8"). */
  prefix?: string;
  /** Endpoint URL of an S3-compatible server; implies path-style addressing. */
  endpoint?: string;
  /** Region; default: the SDK chain (AWS_REGION, profile), else us-east-1. */
  region?: string;
  /** Explicit credentials; default: the SDK credential chain (env, profiles, SSO, roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Upload with the public-read ACL (a write's own `publicRead` also turns it on). */
  publicRead?: boolean;
  /** Storage class of uploads (STANDARD, STANDARD_IA, ...). */
  storageClass?: string;
  /** Server-side encryption of uploads. */
  sse?: "AES256" | "aws:kms";
  sseKmsKeyId?: string;
  /**
   * Ranged parts of one read, and parts of one streamed upload, in flight at once (default
   * PARTS_IN_FLIGHT). Not `--concurrency`, which counts packages.
   */
  concurrency?: number;
  /** Bytes per ranged read part and per multipart upload part (default 8 MiB). */
  partSize?: number;
  /**
   * Bytes all reads together may hold fetched or in flight ahead of their readers (default
   * READ_BUDGET). Each read still gets the part its reader needs next, so it may be exceeded by
   * at most one part per open read.
   */
  readBudget?: number;
  /** Attempts per request, the first included (default 4). */
  retryAttempts?: number;
  /** First backoff cap in ms (default 100). */
  retryBaseDelayMs?: number;
}

export const MiB = 1024 * 1024;
/**
 * Parts of one read (or streamed upload) in flight at once: with 8 MiB parts, 4 keep a
 * connection's worth of bytes coming while the reader hashes; the reads of a run share the
 * read budget besides.
 */
export const PARTS_IN_FLIGHT = 4;
/** Default bytes per ranged read part and per multipart upload part. */
export const PART_SIZE = 8 * MiB;
/**
 * Default read budget of a storage (S3StorageOptions.readBudget): two parts ahead, besides the
 * part each reader needs next. Packages are mostly read faster than they arrive, and fresh
 * N=200 runs over moto peaked 10–15 MiB lower than with 64 MiB, no slower.
 */
export const READ_BUDGET = 16 * MiB;
