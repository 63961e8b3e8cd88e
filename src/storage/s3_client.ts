/**
 * The S3 backend's SDK clients (s3_storage.ts) and their settings: addressing, the SDK's own
 * retries and checksums, timeouts, region and credentials.
 * @module
 */
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { FetchHandler } from "./s3_fetch.ts";
import type { S3StorageOptions } from "./s3_options.ts";

/**
 * The clients of one storage: `reads` (ranged GETs) answers with fetch byte streams
 * (s3_fetch.ts), `client` does the rest through the SDK's default handler. They share the
 * region and credential providers, so credentials are resolved once.
 */
export function createClients(options: S3StorageOptions): { client: S3Client; reads: S3Client } {
  const config = clientConfig(options);
  const client = new S3Client(config);
  const reads = new S3Client({
    ...config,
    region: client.config.region,
    credentials: client.config.credentials,
    requestHandler: new FetchHandler(),
  });
  return { client, reads };
}

/** SDK client settings: path-style for endpoints, modest SDK retries, region fallback us-east-1. */
function clientConfig(options: S3StorageOptions): S3ClientConfig {
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
