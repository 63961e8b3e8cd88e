/**
 * The S3 backend of {@linkcode Storage}: AWS S3 and S3-compatible servers (MinIO, Ceph RGW,
 * Cloudflare R2, moto). The only module that imports the AWS SDK.
 *
 * Reads stream: an object larger than one part is fetched in ranged parts, several in flight,
 * delivered in order with at most `concurrency` parts buffered; a body cut mid-way is resumed
 * from the last byte received, pinned to the first answer's ETag so parts never mix versions.
 * @module
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
  type ServerSideEncryption,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { MkrepoError } from "../errors.ts";
import { backoffDelay, httpStatus, isTransient, sleep, withRetry } from "./retry.ts";
import type {
  ObjectInfo,
  ReadRange,
  Storage,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "./storage.ts";

/** Options of {@linkcode createS3Storage}. */
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
  /** Ranged parts of one read in flight at once (default 4). */
  concurrency?: number;
  /** Bytes per ranged read part and per multipart upload part (default 8 MiB). */
  partSize?: number;
  /** Attempts per request, the first included (default 4). */
  retryAttempts?: number;
  /** First backoff cap in ms (default 100). */
  retryBaseDelayMs?: number;
}

/** Creates a Storage on `s3://bucket/prefix`. Nothing is contacted until the first call. */
export function createS3Storage(options: S3StorageOptions): Storage {
  return new S3Storage(options);
}

const MiB = 1024 * 1024;
/** Chunks smaller than this are merged, up to COALESCE_MAX, when several are already buffered. */
const COALESCE_MIN = 256 * 1024;
const COALESCE_MAX = 1 * MiB;
type Op = "list" | "stat" | "read" | "write" | "remove";

/** S3 (or S3-compatible) storage under one bucket prefix. */
export class S3Storage implements Storage {
  #client: S3Client;
  #bucket: string;
  #prefix: string;
  #endpoint?: string;
  #options: S3StorageOptions;
  #partSize: number;
  #concurrency: number;

  constructor(options: S3StorageOptions) {
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new MkrepoError({
        code: "usage",
        reason: "an S3 access key id needs its secret access key, and the other way round",
        hint: "pass both --s3-access-key-id and --s3-secret-access-key, or neither",
      });
    }
    this.#options = options;
    this.#bucket = options.bucket;
    this.#prefix = (options.prefix ?? "").split("/").filter((s) => s !== "").join("/");
    this.#endpoint = options.endpoint;
    this.#partSize = Math.max(64 * 1024, options.partSize ?? 8 * MiB);
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#client = new S3Client(clientConfig(options));
  }

  /** The one place joining the storage prefix and a key. */
  #fullKey(key: string): string {
    const rel = key.replace(/^\/+/, "");
    return this.#prefix === "" ? rel : `${this.#prefix}/${rel}`;
  }

  describe(key: string): string {
    return `s3://${this.#bucket}/${this.#fullKey(key)}`;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const full = this.#fullKey(prefix);
    const strip = this.#fullKey("").length;
    let token: string | undefined;
    do {
      const page = await this.#call("list", prefix, () =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: full,
            ContinuationToken: token,
          }),
        ));
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        const key = o.Key.slice(strip);
        if (key === "" || key.endsWith("/")) continue; // "folder" markers made by consoles
        yield {
          key,
          size: o.Size ?? 0,
          mtime: o.LastModified?.getTime() ?? 0,
          etag: o.ETag ?? "",
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await withRetry(
        () =>
          this.#client.send(
            new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#fullKey(key) }),
          ),
        this.#retryOptions(),
      );
      return {
        key,
        size: head.ContentLength ?? 0,
        mtime: head.LastModified?.getTime() ?? 0,
        etag: head.ETag ?? "",
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.#fail(err, key, "stat");
    }
  }

  async read(key: string, range?: ReadRange): Promise<ReadableStream<Uint8Array>> {
    const start = range?.start ?? 0;
    const stop = range?.end;
    if (!(start >= 0) || (stop !== undefined && !(stop >= start))) {
      throw new MkrepoError({
        code: "internal",
        key: this.describe(key),
        action: "read",
        reason: `invalid byte range [${start}, ${stop})`,
      });
    }
    if (stop === start) return emptyStream();
    const abort = new AbortController();
    const firstStop = Math.min(stop ?? Infinity, start + this.#partSize);
    let first: OpenedRange;
    try {
      first = await this.#openRange(key, start, firstStop, undefined, abort.signal);
    } catch (err) {
      if (isInvalidRange(err)) {
        // An empty object, or a range starting at or past the end.
        const info = await this.stat(key);
        if (info === undefined) throw this.#fail(err, key, "read");
        if (start >= info.size) return emptyStream();
      }
      throw err instanceof MkrepoError ? err : this.#fail(err, key, "read");
    }
    const end = Math.min(stop ?? first.total, first.total);
    const parts: Array<[number, number]> = [[start, Math.min(end, start + first.length)]];
    for (let at = parts[0][1]; at < end; at += this.#partSize) {
      parts.push([at, Math.min(end, at + this.#partSize)]);
    }
    return this.#partsStream(key, parts, first, abort);
  }

  /** Streams `parts` in order, keeping at most `concurrency` of them in flight or buffered. */
  #partsStream(
    key: string,
    parts: Array<[number, number]>,
    first: OpenedRange,
    abort: AbortController,
  ): ReadableStream<Uint8Array> {
    const active: PartBuffer[] = [];
    const pumps: Promise<void>[] = [];
    let next = 0;
    const startPart = () => {
      const [from, to] = parts[next];
      const buffer = new PartBuffer();
      const body = next === 0 ? first.body : undefined;
      next++;
      active.push(buffer);
      pumps.push(
        this.#pumpPart(key, from, to, first.etag, buffer, abort.signal, body).then(
          () => buffer.finish(),
          (err) => buffer.finish(err ?? new Error("read failed")),
        ),
      );
    };
    while (next < parts.length && active.length < this.#concurrency) startPart();
    const stopAll = async () => {
      abort.abort();
      await Promise.allSettled(pumps);
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          const current = active[0];
          if (current === undefined) return controller.close();
          const chunk = current.take();
          if (chunk !== undefined) return controller.enqueue(chunk);
          if (current.done) {
            if (current.error !== undefined) {
              await stopAll();
              throw this.#fail(current.error, key, "read");
            }
            active.shift();
            if (next < parts.length) startPart();
            continue;
          }
          await current.wait();
        }
      },
      cancel: stopAll,
    }, { highWaterMark: 0 });
  }

  /** Fetches bytes [from, to) into `buffer`, resuming after a cut body from the last byte. */
  async #pumpPart(
    key: string,
    from: number,
    to: number,
    etag: string | undefined,
    buffer: PartBuffer,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<void> {
    const attempts = this.#options.retryAttempts ?? 4;
    let pos = from;
    let failures = 0;
    let resumes = 0;
    while (pos < to) {
      const startedAt = pos;
      try {
        const current = body ?? (await this.#openRange(key, pos, to, etag, signal)).body;
        body = undefined;
        for await (const chunk of bodyChunks(current, signal)) {
          const piece = chunk.length > to - pos ? chunk.subarray(0, to - pos) : chunk;
          buffer.push(piece);
          pos += piece.length;
        }
        if (signal.aborted) return;
        if (pos < to) throw new Error(`body ended early at byte ${pos}, expected ${to}`);
      } catch (err) {
        if (signal.aborted) return;
        failures = pos > startedAt ? 1 : failures + 1;
        if (!isTransient(err) || failures >= attempts || ++resumes > attempts + 16) throw err;
        await sleep(
          backoffDelay(failures, { baseDelayMs: this.#options.retryBaseDelayMs }),
          signal,
        );
      }
    }
  }

  /** GET of bytes [from, to) (clamped by the server at the end), retried when transient. */
  async #openRange(
    key: string,
    from: number,
    to: number,
    etag: string | undefined,
    signal: AbortSignal,
  ): Promise<OpenedRange> {
    const out = await withRetry(
      () =>
        this.#client.send(
          new GetObjectCommand({
            Bucket: this.#bucket,
            Key: this.#fullKey(key),
            Range: `bytes=${from}-${to - 1}`,
            IfMatch: etag,
          }),
          { abortSignal: signal },
        ),
      { ...this.#retryOptions(), signal },
    );
    const length = out.ContentLength ?? 0;
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(out.ContentRange ?? "");
    if (m && Number(m[1]) === from) {
      return { body: out.Body, etag: out.ETag, total: m[3] === "*" ? to : Number(m[3]), length };
    }
    if (!m && from === 0) return { body: out.Body, etag: out.ETag, total: length, length };
    discardBody(out.Body);
    throw new MkrepoError({
      code: "storage",
      key: this.describe(key),
      action: "read",
      reason: `the server answered a request for bytes ${from}-${to - 1} with ${
        out.ContentRange ? `range ${out.ContentRange}` : "the whole object"
      }`,
      hint: "the S3 server must support HTTP Range requests",
    });
  }

  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    const publicRead = options.publicRead ?? this.#options.publicRead ?? false;
    const params: PutObjectCommandInput = {
      Bucket: this.#bucket,
      Key: this.#fullKey(key),
      ContentType: options.contentType,
      CacheControl: options.cacheControl,
      ACL: publicRead ? "public-read" : undefined,
      StorageClass: this.#options.storageClass as StorageClass | undefined,
      ServerSideEncryption: this.#options.sse as ServerSideEncryption | undefined,
      SSEKMSKeyId: this.#options.sseKmsKeyId,
      IfMatch: options.ifMatch,
      IfNoneMatch: options.ifNoneMatch,
    };
    const ctx = { publicRead, ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch };
    if (body instanceof ReadableStream) {
      // Unknown length: lib-storage buffers one part at a time (single PUT when small).
      // A stream cannot be replayed, so only the SDK's per-part retries apply here.
      const upload = new Upload({
        client: this.#client,
        params: { ...params, Body: body },
        partSize: Math.max(5 * MiB, this.#partSize),
        queueSize: this.#concurrency,
      });
      try {
        const out = await upload.done();
        return { etag: out.ETag ?? "" };
      } catch (err) {
        throw this.#fail(err, key, "write", ctx);
      }
    }
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const out = await this.#call("write", key, () =>
      this.#client.send(
        new PutObjectCommand({ ...params, Body: bytes, ContentLength: bytes.length }),
      ), ctx);
    return { etag: out.ETag ?? "" };
  }

  async remove(key: string): Promise<void> {
    await this.#call("remove", key, () =>
      this.#client.send(
        new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#fullKey(key) }),
      ));
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  #retryOptions() {
    return {
      attempts: this.#options.retryAttempts ?? 4,
      baseDelayMs: this.#options.retryBaseDelayMs,
    };
  }

  /** One request with retries; a failure becomes a MkrepoError. */
  async #call<T>(op: Op, key: string, fn: () => Promise<T>, ctx: WriteContext = {}): Promise<T> {
    try {
      return await withRetry(fn, this.#retryOptions());
    } catch (err) {
      throw this.#fail(err, key, op, ctx);
    }
  }

  /** Turns an SDK or network error into one clear MkrepoError; never includes credentials. */
  #fail(err: unknown, key: string, op: Op, ctx: WriteContext = {}): MkrepoError {
    if (err instanceof MkrepoError) return err;
    const name = errorName(err);
    const status = httpStatus(err);
    const message = firstLine(err);
    const where = this.describe(key);
    const action = op === "stat" ? "read" : op;
    const make = (code: MkrepoError["code"], reason: string, hint?: string, at = where) =>
      new MkrepoError({ code, key: at, action, reason, hint, cause: err });
    const target = this.#endpoint ? `--s3-endpoint ${safeHost(this.#endpoint)}` : "--s3-region";

    if (name === "NoSuchBucket") {
      return make(
        "not-found",
        `bucket "${this.#bucket}" does not exist`,
        `check the bucket name in the s3:// path and ${target}`,
      );
    }
    if (op === "write" && (ctx.ifMatch || ctx.ifNoneMatch)) {
      const raced = "another run may be publishing the same repository; run mkrepo again";
      if (name === "PreconditionFailed" || status === 412) {
        return make(
          "conflict",
          ctx.ifNoneMatch
            ? "the object already exists (If-None-Match failed)"
            : "the object changed since it was read (If-Match failed)",
          raced,
        );
      }
      if (name === "ConditionalRequestConflict" || status === 409) {
        return make("conflict", "a concurrent write to the object is in progress", raced);
      }
      if (ctx.ifMatch && (name === "NoSuchKey" || status === 404)) {
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
      ctx.publicRead &&
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
        `s3://${this.#bucket}`,
      );
    }
    const net = networkFailure(err);
    if (net) {
      const host = this.#endpoint ? safeHost(this.#endpoint) : "S3";
      return net.lost
        ? make(
          "storage",
          `the connection to ${host} kept failing (${net.reason})`,
          "the network or the server is unstable; run mkrepo again",
        )
        : make(
          "storage",
          `cannot connect to ${host} (${net.reason})`,
          this.#endpoint
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
        `"${this.#bucket}" is not a valid bucket name`,
        undefined,
        `s3://${this.#bucket}`,
      );
    }
    return make(
      "storage",
      `${name}${status ? ` (HTTP ${status})` : ""}${
        message && message !== name ? `: ${message}` : ""
      }`,
      status !== undefined && status >= 500
        ? "the server kept failing; try again later"
        : undefined,
    );
  }
}

interface WriteContext {
  publicRead?: boolean;
  ifMatch?: string;
  ifNoneMatch?: string;
}

interface OpenedRange {
  body: unknown;
  etag?: string;
  /** Size of the whole object. */
  total: number;
  /** Bytes in this answer. */
  length: number;
}

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

/** Chunks of one part: the current one streams to the reader, later ones wait here. */
class PartBuffer {
  #chunks: Uint8Array[] = [];
  #wake?: () => void;
  done = false;
  error: unknown;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#signal();
  }

  finish(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.#signal();
  }

  /** The next bytes (small buffered chunks merged up to 1 MiB), or undefined when none. */
  take(): Uint8Array | undefined {
    const first = this.#chunks[0];
    if (first === undefined) return undefined;
    if (first.length >= COALESCE_MIN || this.#chunks.length === 1) return this.#chunks.shift();
    let n = 0;
    let size = 0;
    while (n < this.#chunks.length && size + this.#chunks[n].length <= COALESCE_MAX) {
      size += this.#chunks[n++].length;
    }
    if (n <= 1) return this.#chunks.shift();
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of this.#chunks.splice(0, n)) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Chunks of an SDK body (a Node Readable, or a web stream) as plain Uint8Arrays. */
async function* bodyChunks(body: unknown, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (body === undefined || body === null) return;
  const onAbort = () => discardBody(body);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      if (typeof chunk === "string") yield new TextEncoder().encode(chunk);
      // Node Buffers become plain views, so `slice()` copies as callers expect.
      else yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Releases a response body that will not be read. */
function discardBody(body: unknown): void {
  if (!body || typeof body !== "object") return;
  const b = body as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof b.destroy === "function") b.destroy();
  else if (typeof b.cancel === "function") b.cancel().catch(() => {});
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
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

function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return name === "NoSuchKey" || name === "NotFound" ||
    (httpStatus(err) === 404 && name !== "NoSuchBucket");
}

function isInvalidRange(err: unknown): boolean {
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
