/**
 * One test body, two backends: a repository on local disk or under a prefix of a real S3
 * server (moto). Each backend gives the PATH and flags for the CLI, a way to upload and delete
 * packages as a user would, and the URL apt/dnf read the repository from.
 * @module
 */
import { type MotoRequest, MotoServer } from "./moto.ts";
import { createS3Storage } from "../../src/storage/s3_storage.ts";
import { createFsStorage } from "../../src/storage/fs_storage.ts";
import { readAll, readTextIfExists, type Storage } from "../../src/storage/storage.ts";
import { gunzipSync } from "node:zlib";

/** A repository location for a test. */
export interface RepoBackend {
  kind: "fs" | "s3";
  /** PATH argument of the CLI. */
  path: string;
  /** Extra CLI flags (S3 endpoint, credentials). */
  args: string[];
  /** URL a client reads the repository from (file:///… or http://…). */
  url: string;
  /** Direct access, for uploads and checks. */
  storage: Storage;
  /** Uploads a local file under a key (as `aws s3 cp` or `cp` would). */
  put(key: string, localFile: string): Promise<void>;
  remove(key: string): Promise<void>;
  readText(key: string): Promise<string | undefined>;
  keys(prefix?: string): Promise<string[]>;
  /** S3 only: the requests the server logged for this bucket so far. */
  requests?: () => MotoRequest[];
}

/** Backends the end-to-end tests run against. */
export const BACKENDS = ["fs", "s3"] as const;

function common(storage: Storage): Pick<RepoBackend, "put" | "remove" | "readText" | "keys"> {
  return {
    put: async (key, file) => {
      await storage.write(key, await Deno.readFile(file));
    },
    remove: (key) => storage.remove(key),
    readText: (key) => readTextIfExists(storage, key),
    keys: async (prefix = "") =>
      (await Array.fromAsync(storage.list(prefix))).map((o) => o.key).sort(),
  };
}

/** Options of {@linkcode withBackend}. */
export interface BackendOptions {
  /**
   * S3: give anonymous clients read access to the whole bucket with a bucket policy (default
   * true). Without it, anonymous clients (apt, dnf, fetch) read only public-read objects.
   */
  publicPolicy?: boolean;
}

/** Runs `fn` with a fresh, empty repository location of the given kind. */
export async function withBackend(
  kind: "fs" | "s3",
  fn: (repo: RepoBackend) => Promise<void>,
  options: BackendOptions = {},
): Promise<void> {
  if (kind === "fs") {
    const dir = await Deno.makeTempDir({ prefix: "mkrepo-repo-" });
    await Deno.chmod(dir, 0o755);
    const storage = createFsStorage(dir);
    try {
      await fn({ kind, path: dir, args: [], url: `file://${dir}`, storage, ...common(storage) });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    return;
  }
  const server = await MotoServer.start();
  try {
    const s3 = await server.newBucket();
    if (options.publicPolicy ?? true) await allowPublicRead(s3.endpoint, s3.bucket);
    const prefix = "repos/one";
    const storage = createS3Storage({
      bucket: s3.bucket,
      prefix,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    try {
      await fn({
        kind,
        path: `s3://${s3.bucket}/${prefix}`,
        args: [
          "--s3-endpoint",
          s3.endpoint,
          "--s3-region",
          s3.region,
          "--s3-access-key-id",
          s3.accessKeyId,
          "--s3-secret-access-key",
          s3.secretAccessKey,
        ],
        url: `${s3.endpoint}/${s3.bucket}/${prefix}`,
        storage,
        requests: s3.requestLog,
        ...common(storage),
      });
    } finally {
      await storage.close?.();
    }
  } finally {
    await server.stop();
  }
}

/** Gives anonymous clients (apt, dnf over HTTP) read access, as a bucket policy does on AWS/R2. */
async function allowPublicRead(endpoint: string, bucket: string): Promise<void> {
  const policy = {
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/*`,
    }],
  };
  const res = await fetch(`${endpoint}/${bucket}?policy`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(policy),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`cannot set the bucket policy of ${bucket}: ${res.status}`);
}

/** Package keys the published index names (dist "all" for deb), sorted. */
export async function indexedKeys(storage: Storage, kind: "deb" | "rpm"): Promise<string[]> {
  const text = async (key: string) => new TextDecoder().decode(await readAll(storage, key));
  if (kind === "deb") {
    const packages = await text("dists/all/main/binary-amd64/Packages");
    return [...packages.matchAll(/^Filename: (.+)$/gm)].map((m) => m[1]).sort();
  }
  const repomd = await text("repodata/repomd.xml");
  const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)![1];
  const primary = new TextDecoder().decode(gunzipSync(await readAll(storage, href)));
  return [...primary.matchAll(/<location href="([^"]+)"/g)].map((m) => m[1]).sort();
}
