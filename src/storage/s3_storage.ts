/**
 * The S3 backend of {@linkcode Storage}: AWS S3 and S3-compatible servers (MinIO, Ceph RGW,
 * Cloudflare R2, moto): one SDK request per Storage method. This module and `s3_client.ts` (the
 * client's settings) are the only ones that import the AWS SDK. Options and defaults are in
 * `s3_options.ts`, ranged reads in `s3_ranged_read.ts`, the mapping of errors to MkrepoError in
 * `s3_errors.ts`.
 * @module
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectAclCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { MkrepoError } from "../errors.ts";
import { withRetry } from "./retry.ts";
import { isInvalidRange, isNotFound, s3Error, type S3Op, type WriteContext } from "./s3_errors.ts";
import { emptyStream, type RangeAnswer, rangedRead } from "./s3_ranged_read.ts";
import { ReadBudget } from "./read_budget.ts";
import {
  MiB,
  PART_SIZE,
  PARTS_IN_FLIGHT,
  READ_BUDGET,
  type S3StorageOptions,
} from "./s3_options.ts";
import { createClients } from "./s3_client.ts";
import type {
  ObjectInfo,
  ReadRange,
  Storage,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "./storage.ts";

export type { S3StorageOptions } from "./s3_options.ts";

/** Creates a Storage on `s3://bucket/prefix`. Nothing is contacted until the first call. */
export function createS3Storage(options: S3StorageOptions): Storage {
  return new S3Storage(options);
}

/** S3 (or S3-compatible) storage under one bucket prefix. */
export class S3Storage implements Storage {
  #client: S3Client;
  #reads: S3Client;
  #bucket: string;
  #prefix: string;
  #endpoint?: string;
  #options: S3StorageOptions;
  #partSize: number;
  #concurrency: number;
  #readBudget: ReadBudget;

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
    this.#partSize = Math.max(64 * 1024, options.partSize ?? PART_SIZE);
    this.#concurrency = Math.max(1, options.concurrency ?? PARTS_IN_FLIGHT);
    this.#readBudget = new ReadBudget(Math.max(0, options.readBudget ?? READ_BUDGET));
    ({ client: this.#client, reads: this.#reads } = createClients(options));
  }

  /** The one place joining the storage prefix and a key. */
  #fullKey(key: string): string {
    const rel = key.replace(/^\/+/, "");
    return this.#prefix === "" ? rel : `${this.#prefix}/${rel}`;
  }

  /** The read budget: its limit, the bytes taken now and the most taken at once (for tests). */
  get readAhead(): { limit: number; used: number; peak: number } {
    const b = this.#readBudget;
    return { limit: b.limit, used: b.used, peak: b.peak };
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
    try {
      return await rangedRead(start, stop, {
        fetchRange: (from, to, etag, signal) => this.#openRange(key, from, to, etag, signal),
        where: this.describe(key),
        fail: (err) => this.#fail(err, key, "read"),
        partSize: this.#partSize,
        concurrency: this.#concurrency,
        budget: this.#readBudget,
        ...this.#retryOptions(),
      });
    } catch (err) {
      if (isInvalidRange(err)) {
        // An empty object, or a range starting at or past the end.
        const info = await this.stat(key);
        if (info === undefined) throw this.#fail(err, key, "read");
        if (start >= info.size) return emptyStream();
      }
      throw err instanceof MkrepoError ? err : this.#fail(err, key, "read");
    }
  }

  /** GET of bytes [from, to) (clamped by the server at the end), retried when transient. */
  async #openRange(
    key: string,
    from: number,
    to: number,
    etag: string | undefined,
    signal: AbortSignal,
  ): Promise<RangeAnswer> {
    const out = await withRetry(
      () =>
        this.#reads.send(
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
    return {
      // A fetch byte stream: the reads client answers through FetchHandler.
      body: out.Body as ReadableStream<Uint8Array> | undefined,
      etag: out.ETag,
      contentRange: out.ContentRange,
      contentLength: out.ContentLength,
    };
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

  async setPublicRead(key: string): Promise<void> {
    await this.#call("write", key, () =>
      this.#client.send(
        new PutObjectAclCommand({
          Bucket: this.#bucket,
          Key: this.#fullKey(key),
          ACL: "public-read",
        }),
      ), { publicRead: true });
  }

  publicUrl(key: string): string {
    const path = this.#fullKey(key).split("/").map(encodeURIComponent).join("/");
    if (this.#endpoint !== undefined) {
      return `${this.#endpoint.replace(/\/+$/, "")}/${this.#bucket}/${path}`;
    }
    return `https://${this.#bucket}.s3.amazonaws.com/${path}`;
  }

  close(): Promise<void> {
    this.#client.destroy();
    this.#reads.destroy();
    return Promise.resolve();
  }

  #retryOptions() {
    return {
      attempts: this.#options.retryAttempts ?? 4,
      baseDelayMs: this.#options.retryBaseDelayMs,
    };
  }

  /** One request with retries; a failure becomes a MkrepoError. */
  async #call<T>(op: S3Op, key: string, fn: () => Promise<T>, ctx: WriteContext = {}): Promise<T> {
    try {
      return await withRetry(fn, this.#retryOptions());
    } catch (err) {
      throw this.#fail(err, key, op, ctx);
    }
  }

  /** Turns an SDK or network error into one clear MkrepoError; never includes credentials. */
  #fail(err: unknown, key: string, op: S3Op, ctx: WriteContext = {}): MkrepoError {
    return s3Error(err, {
      ...ctx,
      op,
      where: this.describe(key),
      bucket: this.#bucket,
      endpoint: this.#endpoint,
    });
  }
}
