/**
 * The S3 side of a run's options: flags and environment turned into storage settings, with the
 * endpoint checked (a scheme is required).
 * @module
 */
import type { CliOptions } from "./args.ts";
import type { RunConfig } from "./config.ts";
import { MkrepoError } from "../errors.ts";
import type { S3Settings } from "../storage/open_storage.ts";

/**
 * The S3 endpoint of the run; one without http:// or https://, or that is no URL, is a usage
 * error (messages redact credentials in URLs).
 */
function s3Endpoint(opts: CliOptions, config: RunConfig): string | undefined {
  const endpoint = opts.s3.endpoint ?? config.s3Endpoint;
  if (endpoint === undefined) return endpoint;
  if (/^https?:\/\//i.test(endpoint)) {
    if (URL.canParse(endpoint)) return endpoint;
    throw new MkrepoError({
      code: "usage",
      action: "use endpoint",
      key: endpoint,
      reason: "it is not a valid URL",
      hint: "give --s3-endpoint (or AWS_ENDPOINT_URL) as http[s]://host[:port]",
    });
  }
  const source = opts.s3.endpoint !== undefined ? "--s3-endpoint" : config.s3EndpointVariable;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(endpoint)?.[1];
  const bare = scheme ? endpoint.slice(scheme.length + 3) : endpoint;
  throw new MkrepoError({
    code: "usage",
    reason: `${source} "${endpoint}" ` +
      (scheme ? `has the scheme ${scheme}://; S3 speaks http or https` : "has no scheme"),
    hint: `write http://${bare} (e.g. a local MinIO) or https://${bare}`,
  });
}

/** The S3 settings of a run, from its flags and environment. */
export function s3Settings(opts: CliOptions, config: RunConfig, kind: "fs" | "s3"): S3Settings {
  return {
    endpoint: kind === "s3" ? s3Endpoint(opts, config) : undefined,
    region: opts.s3.region,
    accessKeyId: opts.s3.accessKeyId,
    secretAccessKey: opts.s3.secretAccessKey,
    publicRead: opts.s3.publicRead,
    storageClass: opts.s3.storageClass,
    sse: opts.s3.sse,
    sseKmsKeyId: opts.s3.sseKmsKeyId,
  };
}
