/**
 * S3 on loopback for the benchmarks: a moto server (`python3 -m moto.server`) with one bucket,
 * objects put through mkrepo's own S3 storage, and the requests moto logged, to count what a run
 * asked for.
 * @module
 */
import { join } from "node:path";
import { openStorage, parseLocation, type Storage } from "../mod.ts";
import { sh } from "./bench_common.ts";

/** Credentials and region of the benchmarks' moto (any value works there). */
export const S3_ENV = {
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
};

/** A moto S3 server on loopback with one bucket, and the requests it logged. */
export class Moto {
  readonly endpoint: string;
  readonly bucket = "mkrepo-bench";
  readonly logFile: string;
  #child: Deno.ChildProcess;
  #storage?: Storage;

  private constructor(port: number, child: Deno.ChildProcess, logFile: string) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.#child = child;
    this.logFile = logFile;
  }

  static async start(): Promise<Moto> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const logFile = await Deno.makeTempFile({ prefix: "mkrepo-bench-moto-", suffix: ".log" });
    const script = 'exec python3 -m moto.server -H 127.0.0.1 -p "$1" >/dev/null 2>"$2"';
    const child = new Deno.Command("sh", {
      args: ["-c", script, "sh", String(port), logFile],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const moto = new Moto(port, child, logFile);
    for (let i = 0;; i++) {
      try {
        const res = await fetch(`${moto.endpoint}/moto-api/`);
        await res.body?.cancel();
        break;
      } catch {
        if (i > 150) {
          await moto.stop();
          throw new Error("moto did not start (python3 -m moto.server)");
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const res = await fetch(`${moto.endpoint}/${moto.bucket}`, { method: "PUT" });
    if (!res.ok) throw new Error(`cannot create bucket: ${res.status} ${await res.text()}`);
    // Objects go through mkrepo's own S3 storage, signed with the same credentials as mkrepo.
    moto.#storage = await openStorage(parseLocation(`s3://${moto.bucket}`), {
      endpoint: moto.endpoint,
      region: S3_ENV.AWS_REGION,
      accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY,
    });
    return moto;
  }

  get storage(): Storage {
    return this.#storage!;
  }

  async list(prefix: string): Promise<string[]> {
    return (await Array.fromAsync(this.storage.list(prefix))).map((o) => o.key);
  }

  /** Uploads every file under `dir` to `prefix` (8 at a time). */
  async upload(dir: string, prefix: string): Promise<void> {
    const files = (await sh(`cd "${dir}" && find . -type f`)).trim().split("\n").filter(Boolean);
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < files.length) {
        const f = files[next++].replace(/^\.\//, "");
        await this.storage.write(`${prefix}${f}`, await Deno.readFile(join(dir, f)));
      }
    }));
  }

  /** Requests logged from byte `from` of the log on (method and path). */
  async requests(from: number): Promise<{ method: string; path: string }[]> {
    const text = (await Deno.readTextFile(this.logFile)).slice(from);
    return [...text.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" \d{3}/g)].map((m) => ({
      method: m[1],
      path: m[2],
    }));
  }

  async logSize(): Promise<number> {
    return (await Deno.readTextFile(this.logFile)).length;
  }

  async stop(): Promise<void> {
    await this.#storage?.close?.();
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await this.#child.status;
    await Deno.remove(this.logFile).catch(() => {});
  }
}
