/**
 * Hash worker (a Web Worker module, started by hashing.ts): computes the digests of many jobs at
 * once, each fed in order by its own messages. Every data message is acknowledged after it is
 * hashed, which is what the main thread's backpressure waits for; a "file" message has it read
 * a stretch of a local file itself (a package's payload) and hash it, off the main thread.
 * `deno compile` must `--include` this file.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { FromWorker, ToWorker } from "./hash_pool.ts";
import { FILE_READ_SIZE, readFileRange } from "../util/local_file.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
const jobs = new Map<number, { hashes: [string, Hash][]; size: number }>();
const fileBuffer = new Uint8Array(FILE_READ_SIZE);

scope.onmessage = ({ data: m }) => {
  const job = jobs.get(m.id);
  try {
    switch (m.t) {
      case "start":
        jobs.set(m.id, { hashes: m.algorithms.map((a) => [a, createHash(a)]), size: 0 });
        break;
      case "data": {
        if (job) {
          const bytes = new Uint8Array(m.buffer, m.offset, m.length);
          for (const [, h] of job.hashes) h.update(bytes);
          job.size += m.length;
        }
        // The buffer goes back: freed (or reused) by the main thread, whose collector runs
        // often, instead of piling up here between this isolate's rare collections.
        scope.postMessage({ t: "ack", id: m.id, length: m.length, buffer: m.buffer }, [m.buffer]);
        break;
      }
      case "file": {
        if (!job) throw new Error(`unknown hash job ${m.id}`);
        try {
          const r = readFileRange(m.path, m.offset, m.length, (bytes) => {
            for (const [, h] of job.hashes) h.update(bytes);
            job.size += bytes.length;
          }, fileBuffer);
          scope.postMessage({ t: "file", id: m.id, bytes: r.bytes, eof: r.eof });
        } catch (err) {
          scope.postMessage({ t: "file", id: m.id, bytes: 0, eof: false, error: String(err) });
        }
        break;
      }
      case "end": {
        if (!job) throw new Error(`unknown hash job ${m.id}`);
        jobs.delete(m.id);
        const digests: Record<string, string> = {};
        for (const [name, h] of job.hashes) digests[name] = h.digest("hex");
        scope.postMessage({ t: "done", id: m.id, size: job.size, digests });
        break;
      }
      case "drop":
        jobs.delete(m.id);
        break;
    }
  } catch (err) {
    jobs.delete(m.id);
    scope.postMessage({ t: "error", id: m.id, message: String(err) });
  }
};
scope.postMessage({ t: "ready", id: 0 });
