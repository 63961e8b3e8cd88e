/**
 * A real S3 server for tests: `python3 -m moto.server` on a free loopback port, a fresh bucket
 * per test, the request log parsed from moto's stderr, and optional credential checking.
 * The server is stopped (killed and awaited) in `finally`, so Deno's sanitizers stay quiet.
 * @module
 */

/** One bucket on a running moto server. */
export interface MotoS3 {
  /** "http://127.0.0.1:<port>". */
  endpoint: string;
  bucket: string;
  region: string;
  /** Any value works while credential checking is off (the default). */
  accessKeyId: string;
  secretAccessKey: string;
  port: number;
  /** Requests moto logged for this bucket so far (path-style paths start with "/<bucket>"). */
  requestLog: () => MotoRequest[];
  /** The server holding the bucket. */
  server: MotoServer;
}

/** One line of moto's request log: `"GET /bucket/key?x-id=GetObject HTTP/1.1" 206`. */
export interface MotoRequest {
  method: string;
  /** Path and query, as sent (percent-encoded). */
  path: string;
  status: number;
}

/** Credentials of an IAM user moto knows (see {@linkcode MotoServer.enableAuth}). */
export interface MotoCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

let bucketCounter = 0;

/** A running `moto.server` process. */
export class MotoServer {
  readonly port: number;
  readonly endpoint: string;
  #child: Deno.ChildProcess;
  #logFile: string;
  #stopped = false;

  private constructor(port: number, child: Deno.ChildProcess, logFile: string) {
    this.port = port;
    this.endpoint = `http://127.0.0.1:${port}`;
    this.#child = child;
    this.#logFile = logFile;
  }

  /** Starts moto on a free port and waits until it answers (fails with an install hint). */
  static async start(): Promise<MotoServer> {
    const port = freePort();
    const logFile = await Deno.makeTempFile({ prefix: "mkrepo-moto-", suffix: ".log" });
    // stderr goes to a file through `sh`, so no pipe read stays pending between tests.
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        'exec python3 -m moto.server -p "$1" -H 127.0.0.1 >/dev/null 2>"$2"',
        "sh",
        String(port),
        logFile,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const server = new MotoServer(port, child, logFile);
    let exited = false;
    child.status.then(() => (exited = true));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`${server.endpoint}/moto-api/`);
        await res.body?.cancel();
        return server;
      } catch {
        if (exited || Date.now() > deadline) {
          const log = await Deno.readTextFile(logFile).catch(() => "");
          await server.stop();
          throw new Error(
            `moto server did not start on port ${port}${exited ? " (process exited)" : ""}: ` +
              `${log.trim().split("\n").slice(-5).join(" | ")}\n` +
              `hint: install it with: pip install 'moto[server]==5.2.1'`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Creates a bucket with a fresh valid name (credential checking must be off). */
  async newBucket(): Promise<MotoS3> {
    const bucket = `mkrepo-test-${++bucketCounter}-${crypto.randomUUID().slice(0, 8)}`;
    const res = await fetch(`${this.endpoint}/${bucket}`, { method: "PUT" });
    const text = await res.text();
    if (!res.ok) throw new Error(`cannot create bucket ${bucket}: ${res.status} ${text}`);
    return {
      endpoint: this.endpoint,
      bucket,
      region: "us-east-1",
      accessKeyId: "test-access-key",
      secretAccessKey: "test-secret-key",
      port: this.port,
      requestLog: () =>
        this.requestLog().filter((r) =>
          r.path === `/${bucket}` || r.path.startsWith(`/${bucket}/`) ||
          r.path.startsWith(`/${bucket}?`)
        ),
      server: this,
    };
  }

  /** Every request moto logged so far. */
  requestLog(): MotoRequest[] {
    const out: MotoRequest[] = [];
    const text = Deno.readTextFileSync(this.#logFile);
    for (const m of text.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3})/g)) {
      out.push({ method: m[1], path: m[2], status: Number(m[3]) });
    }
    return out;
  }

  /**
   * Creates an IAM user allowed s3:* and turns on moto's credential checking: from now on
   * requests must be signed with these credentials (unknown key → InvalidAccessKeyId,
   * wrong secret → SignatureDoesNotMatch). {@linkcode disableAuth} turns it off again.
   */
  async enableAuth(): Promise<MotoCredentials> {
    const user = `mkrepo-${crypto.randomUUID().slice(0, 8)}`;
    await this.#iam({ Action: "CreateUser", UserName: user });
    await this.#iam({
      Action: "PutUserPolicy",
      UserName: user,
      PolicyName: "s3-all",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
      }),
    });
    const xml = await this.#iam({ Action: "CreateAccessKey", UserName: user });
    const accessKeyId = /<AccessKeyId>([^<]+)</.exec(xml)?.[1];
    const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(xml)?.[1];
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(`unexpected CreateAccessKey answer: ${xml}`);
    }
    await this.#resetAuth("0");
    return { accessKeyId, secretAccessKey };
  }

  /** Turns moto's credential checking off again (any credentials accepted). */
  async disableAuth(): Promise<void> {
    await this.#resetAuth("inf");
  }

  /** Kills the server and waits for it to exit. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already exited */ }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }, 5000);
    await this.#child.status;
    clearTimeout(timer);
    await Deno.remove(this.#logFile).catch(() => {});
  }

  async #resetAuth(count: string): Promise<void> {
    const res = await fetch(`${this.endpoint}/moto-api/reset-auth`, {
      method: "POST",
      body: count,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`moto reset-auth failed: ${res.status} ${text}`);
  }

  /** An IAM query call; the fake Authorization header only routes it to moto's IAM service. */
  async #iam(params: Record<string, string>): Promise<string> {
    const res = await fetch(this.endpoint + "/", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: new URLSearchParams({ ...params, Version: "2010-05-08" }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`moto IAM ${params.Action} failed: ${res.status} ${text}`);
    return text;
  }
}

/** Runs `fn` with a fresh bucket on its own moto server, stopped afterwards. */
export async function withMoto(fn: (s3: MotoS3) => Promise<void>): Promise<void> {
  await withMotoServer(async (server) => fn(await server.newBucket()));
}

/**
 * Runs `fn` with one moto server, stopped afterwards. Share it across the steps of a test
 * (`Deno.test(name, (t) => withMotoServer(async (moto) => { await t.step(...) }))`),
 * each step taking its own bucket with `moto.newBucket()`.
 */
export async function withMotoServer(fn: (server: MotoServer) => Promise<void>): Promise<void> {
  const server = await MotoServer.start();
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
