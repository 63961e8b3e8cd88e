/**
 * The settings of the S3 backend's SDK client (s3_storage.ts): addressing, the SDK's own
 * retries and checksums, timeouts, region and credentials.
 * @module
 */
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { S3StorageOptions } from "./s3_options.ts";

/** SDK client settings: path-style for endpoints, modest SDK retries, region fallback us-east-1. */
export function clientConfig(options: S3StorageOptions): S3ClientConfig {
  const config: S3ClientConfig = {
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    // AWS answers a wrong region with a redirect the SDK can follow; other servers have one region.
    followRegionRedirects: options.endpoint === undefined,
    // The SDK's own retries stay modest: withRetry() wraps every request.
    maxAttempts: 2,
    // Default CRC32 trailers (aws-chunked uploads) break many S3-compatible servers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
  };
  if (options.region) {
    config.region = options.region;
  } else {
    const chain = new S3Client({}).config.region;
    config.region = async () => {
      try {
        return await chain();
      } catch {
        return "us-east-1";
      }
    };
  }
  if (options.accessKeyId !== undefined && options.secretAccessKey !== undefined) {
    config.credentials = {
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      sessionToken: options.sessionToken,
    };
  }
  return config;
}
