/**
 * Turns an S3 SDK or network error into one clear {@linkcode MkrepoError} with a hint, from
 * the error's shape alone (name or Code, HTTP status, errno, cause chain); never credentials.
 * @module
 */
import { MkrepoError } from "../errors.ts";
import { httpStatus } from "./retry.ts";

/** The storage operation that failed. */
export type S3Op = "list" | "stat" | "read" | "write" | "remove";

/** What a write asked for: the ACL and its preconditions. */
export interface WriteContext {
  publicRead?: boolean;
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** Where and how a request failed, for {@linkcode s3Error}. */
export interface S3ErrorContext extends WriteContext {
  op: S3Op;
  /** The object as `describe(key)` names it. */
  where: string;
  bucket: string;
  /** Endpoint URL of an S3-compatible server, when one is used. */
  endpoint?: string;
}

/** Maps an SDK or network error to a MkrepoError (a MkrepoError is returned as it is). */
export function s3Error(err: unknown, context: S3ErrorContext): MkrepoError {
  const { op, where, bucket, endpoint } = context;
  if (err instanceof MkrepoError) return err;
  const name = errorName(err);
  const status = httpStatus(err);
  const message = firstLine(err);
  const action = op === "stat" ? "read" : op;
  const make = (code: MkrepoError["code"], reason: string, hint?: string, at = where) =>
    new MkrepoError({ code, key: at, action, reason, hint, cause: err });
  const target = endpoint ? `--s3-endpoint ${safeHost(endpoint)}` : "--s3-region";

  if (name === "NoSuchBucket") {
    return make(
      "not-found",
      `bucket "${bucket}" does not exist`,
      `check the bucket name in the s3:// path and ${target}`,
    );
  }
  if (op === "write" && (context.ifMatch || context.ifNoneMatch)) {
    const raced = "another run may be publishing the same repository; run mkrepo again";
    if (name === "PreconditionFailed" || status === 412) {
      return make(
        "conflict",
        context.ifNoneMatch
          ? "the object already exists (If-None-Match failed)"
          : "the object changed since it was read (If-Match failed)",
        raced,
      );
    }
    if (name === "ConditionalRequestConflict" || status === 409) {
      return make("conflict", "a concurrent write to the object is in progress", raced);
    }
    if (context.ifMatch && (name === "NoSuchKey" || status === 404)) {
      return make(
        "conflict",
        "the object was removed since it was read (If-Match failed)",
        raced,
      );
    }
  }
  if (op === "read" && (name === "PreconditionFailed" || status === 412)) {
    return make(
      "storage",
      "the object was replaced while it was being read",
      "something overwrote it during the run; run mkrepo again",
    );
  }
  if (isNotFound(err)) return make("not-found", "no such object");
  if (
    context.publicRead &&
    (name === "AccessControlListNotSupported" || name === "NotImplemented" ||
      (name === "InvalidArgument" && /acl/i.test(message)) || /acl/i.test(name))
  ) {
    return make(
      "storage",
      `the store does not accept the public-read ACL (${name})`,
      "drop --s3-public-read and make the repository public with a bucket policy (or the provider's public access setting) instead",
    );
  }
  if (/^(ExpiredToken|ExpiredTokenException|TokenRefreshRequired)$/.test(name)) {
    return make(
      "access-denied",
      "the AWS session token has expired",
      "refresh the credentials (e.g. `aws sso login`, or new session credentials) and run again",
    );
  }
  const credentialsHint =
    "check --s3-access-key-id/--s3-secret-access-key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, " +
    "and that their policy allows s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket";
  if (name === "InvalidAccessKeyId") {
    return make("access-denied", "the access key id is not known to the server", credentialsHint);
  }
  if (name === "SignatureDoesNotMatch") {
    return make(
      "access-denied",
      "the secret access key does not match the access key id",
      credentialsHint,
    );
  }
  if (name === "CredentialsProviderError") {
    return make("access-denied", `no usable AWS credentials (${message})`, credentialsHint);
  }
  if (
    name === "AccessDenied" || name === "Forbidden" || name === "AllAccessDisabled" ||
    status === 403
  ) {
    return make("access-denied", "access denied", credentialsHint);
  }
  if (
    /^(PermanentRedirect|AuthorizationHeaderMalformed|IllegalLocationConstraintException|MovedPermanently|IncorrectEndpoint)$/
      .test(name) || status === 301
  ) {
    const region = bucketRegion(err);
    return make(
      "storage",
      `the bucket is in another region${region ? ` (${region})` : ""}`,
      `pass --s3-region ${region ?? "<the bucket's region>"}`,
      `s3://${bucket}`,
    );
  }
  const net = networkFailure(err);
  if (net) {
    const host = endpoint ? safeHost(endpoint) : "S3";
    return net.lost
      ? make(
        "storage",
        `the connection to ${host} kept failing (${net.reason})`,
        "the network or the server is unstable; run mkrepo again",
      )
      : make(
        "storage",
        `cannot connect to ${host} (${net.reason})`,
        endpoint
          ? "check --s3-endpoint (scheme, host and port) and that the server is running"
          : "check the network connection and --s3-region",
      );
  }
  if (name === "NotCapable" || name === "PermissionDenied") {
    return make(
      "storage",
      message,
      "the S3 backend needs the Deno permissions --allow-net --allow-env --allow-sys=osRelease " +
        "(and --allow-read for ~/.aws profiles)",
    );
  }
  if (name === "InvalidBucketName") {
    return make(
      "usage",
      `"${bucket}" is not a valid bucket name`,
      undefined,
      `s3://${bucket}`,
    );
  }
  return make(
    "storage",
    `${name}${status ? ` (HTTP ${status})` : ""}${
      message && message !== name ? `: ${message}` : ""
    }`,
    status !== undefined && status >= 500 ? "the server kept failing; try again later" : undefined,
  );
}

function errorName(err: unknown): string {
  if (!err || typeof err !== "object") return String(err);
  const o = err as { name?: unknown; Code?: unknown };
  if (typeof o.Code === "string") return o.Code;
  return typeof o.name === "string" ? o.name : "Error";
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0].trim();
}

/** True when the error says the object (not the bucket) does not exist. */
export function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return name === "NoSuchKey" || name === "NotFound" ||
    (httpStatus(err) === 404 && name !== "NoSuchBucket");
}

/** True when the error says the requested range is not satisfiable. */
export function isInvalidRange(err: unknown): boolean {
  return errorName(err) === "InvalidRange" || httpStatus(err) === 416;
}

/** The region a wrong-region answer names, when it names one. */
function bucketRegion(err: unknown): string | undefined {
  const o = err as {
    Region?: unknown;
    BucketRegion?: unknown;
    $response?: { headers?: Record<string, string> };
  };
  for (const v of [o.Region, o.BucketRegion, o.$response?.headers?.["x-amz-bucket-region"]]) {
    if (typeof v === "string" && v) return v;
  }
  return /expecting '([a-z0-9-]+)'/.exec(firstLine(err))?.[1];
}

const connectFailures: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ConnectionRefused: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed TLS certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed TLS certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate not trusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not match the host",
};
const lostConnections: Record<string, string> = {
  ECONNRESET: "connection reset",
  ConnectionReset: "connection reset",
  EPIPE: "connection closed",
  BrokenPipe: "connection closed",
  ETIMEDOUT: "timed out",
  TimeoutError: "timed out",
  TimedOut: "timed out",
};

/** Why a request failed below HTTP: never connected, or lost mid-way; else undefined. */
function networkFailure(err: unknown): { reason: string; lost: boolean } | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const o = e as {
      code?: unknown;
      name?: unknown;
      errno?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    for (const v of [o.code, o.name, o.errno]) {
      if (typeof v !== "string") continue;
      if (connectFailures[v]) return { reason: connectFailures[v], lost: false };
      if (lostConnections[v]) return { reason: lostConnections[v], lost: true };
    }
    if (typeof o.message === "string") {
      const m = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.exec(o.message);
      if (m) return { reason: connectFailures[m[1]], lost: false };
      // fetch's words (the ranged GETs, s3_fetch.ts)
      if (/connect error: Connection refused/.test(o.message)) {
        return { reason: connectFailures.ECONNREFUSED, lost: false };
      }
      if (/dns error/.test(o.message)) return { reason: connectFailures.ENOTFOUND, lost: false };
      if (/socket hang up|body ended early/.test(o.message)) {
        return { reason: firstLine(e), lost: true };
      }
    }
    e = o.cause;
  }
  return undefined;
}

/** host[:port] of an endpoint URL, without any user info. */
function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return "(invalid URL)";
  }
}
