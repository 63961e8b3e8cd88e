/**
 * Wraps any Storage (disk or S3) to count calls and bytes and to inject faults:
 * a transient failure (looks like an S3 503 / a reset connection), a precondition
 * failure (MkrepoError "conflict"), any error, or a read stream dropped after N bytes.
 * @module
 */
import { MkrepoError } from "../../src/errors.ts";
import type {
  ObjectInfo,
  ReadRange,
  Storage,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "../../src/storage/storage.ts";

/** Methods of Storage that the spy counts. */
export type StorageMethod = "list" | "stat" | "read" | "write" | "remove";

/** What an injected fault throws: a kind, or a factory for any error. */
export type FaultKind = "transient" | "conflict" | "not-found" | (() => unknown);

/** One injected failure: the `nth` call (1-based) of `method`, or of any method when omitted. */
export interface Fault {
  method?: StorageMethod;
  nth: number;
  kind?: FaultKind;
}

/** One injected cut: the `nth` read (1-based, default every read) errors after `afterBytes` bytes. */
export interface ReadDrop {
  afterBytes: number;
  nth?: number;
  /** Only reads of keys matching this. */
  key?: string | RegExp;
}

/** Options of {@linkcode spyStorage}. */
export interface SpyOptions {
  faults?: Fault[];
  drops?: ReadDrop[];
}

/** A Storage with counters and fault controls. */
export interface SpyStorage extends Storage {
  /** Calls per method. */
  readonly calls: Record<StorageMethod, number>;
  /** Calls of all methods. */
  readonly totalCalls: number;
  /** Bytes delivered by read streams to their consumers. */
  readonly bytesRead: number;
  /** Bytes passed to write (streams counted as consumed). */
  readonly bytesWritten: number;
  /** Keys passed to read, in call order (repeats kept). */
  readonly keysRead: string[];
  /** Keys passed to write, in call order. */
  readonly keysWritten: string[];
  /** Keys passed to remove, in call order. */
  readonly keysRemoved: string[];
  /** Entries yielded by list. */
  readonly objectsListed: number;
  /** Makes the next call (of `method`, or any) fail. */
  failNext(method?: StorageMethod, kind?: FaultKind): void;
  /** Makes the next read stream (of `key`, or any) error after `afterBytes` bytes. */
  dropNextRead(afterBytes: number, key?: string | RegExp): void;
  /** Zeroes counters and records; pending faults stay. */
  reset(): void;
  /** The wrapped storage. */
  readonly inner: Storage;
}

/** An error that storage retry logic classes as transient (an S3 503 SlowDown over a reset). */
export function transientError(message = "injected fault: connection reset"): Error {
  return Object.assign(new Error(message), {
    name: "SlowDown",
    code: "ECONNRESET",
    $metadata: { httpStatusCode: 503 },
  });
}

/** Wraps `inner`, counting its use and injecting the faults asked for. */
export function spyStorage(inner: Storage, options: SpyOptions = {}): SpyStorage {
  const methods: StorageMethod[] = ["list", "stat", "read", "write", "remove"];
  const zero = () =>
    Object.fromEntries(methods.map((m) => [m, 0])) as Record<StorageMethod, number>;
  let calls = zero();
  let total = 0;
  let bytesRead = 0;
  let bytesWritten = 0;
  let objectsListed = 0;
  let keysRead: string[] = [];
  let keysWritten: string[] = [];
  let keysRemoved: string[] = [];
  // Faults and drops count calls from the spy's creation, independently of reset().
  const seen = zero();
  let seenTotal = 0;
  let readsSeen = 0;
  const faults: Fault[] = [...(options.faults ?? [])];
  const drops: ReadDrop[] = [...(options.drops ?? [])];

  const fault = (kind: FaultKind | undefined, method: StorageMethod, key: string): unknown => {
    if (typeof kind === "function") return kind();
    if (kind === "conflict") {
      return new MkrepoError({
        code: "conflict",
        key: inner.describe(key),
        reason: "injected fault: precondition failed",
      });
    }
    if (kind === "not-found") {
      return new MkrepoError({
        code: "not-found",
        key: inner.describe(key),
        reason: "injected fault",
      });
    }
    return transientError(`injected fault: ${method} "${key}" failed (503 SlowDown)`);
  };

  /** Counts a call and throws when a fault targets it. */
  const enter = (method: StorageMethod, key: string) => {
    calls[method]++;
    total++;
    seen[method]++;
    seenTotal++;
    const i = faults.findIndex((f) =>
      f.method === undefined ? f.nth === seenTotal : f.method === method && f.nth === seen[method]
    );
    if (i >= 0) {
      const [f] = faults.splice(i, 1);
      throw fault(f.kind, method, key);
    }
  };

  const matches = (pattern: string | RegExp | undefined, key: string) =>
    pattern === undefined || (typeof pattern === "string" ? pattern === key : pattern.test(key));

  const countingStream = (
    source: ReadableStream<Uint8Array>,
    dropAfter: number | undefined,
    key: string,
  ): ReadableStream<Uint8Array> => {
    const reader = source.getReader();
    let delivered = 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        let chunk = value;
        if (dropAfter !== undefined && delivered + chunk.length >= dropAfter) {
          chunk = chunk.subarray(0, dropAfter - delivered);
          if (chunk.length > 0) controller.enqueue(chunk);
          delivered += chunk.length;
          bytesRead += chunk.length;
          await reader.cancel();
          controller.error(
            transientError(`injected fault: read of "${key}" dropped after ${delivered} bytes`),
          );
          return;
        }
        delivered += chunk.length;
        bytesRead += chunk.length;
        controller.enqueue(chunk);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  };

  const spy: SpyStorage = {
    inner,
    get calls() {
      return { ...calls };
    },
    get totalCalls() {
      return total;
    },
    get bytesRead() {
      return bytesRead;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get keysRead() {
      return [...keysRead];
    },
    get keysWritten() {
      return [...keysWritten];
    },
    get keysRemoved() {
      return [...keysRemoved];
    },
    get objectsListed() {
      return objectsListed;
    },
    failNext(method?: StorageMethod, kind?: FaultKind) {
      faults.push(
        method === undefined
          ? { nth: seenTotal + 1, kind }
          : { method, nth: seen[method] + 1, kind },
      );
    },
    dropNextRead(afterBytes: number, key?: string | RegExp) {
      drops.push({ afterBytes, nth: key === undefined ? readsSeen + 1 : undefined, key });
    },
    reset() {
      calls = zero();
      total = 0;
      bytesRead = 0;
      bytesWritten = 0;
      objectsListed = 0;
      keysRead = [];
      keysWritten = [];
      keysRemoved = [];
    },
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      enter("list", prefix);
      for await (const info of inner.list(prefix)) {
        objectsListed++;
        yield info;
      }
    },
    async stat(key: string) {
      enter("stat", key);
      return await inner.stat(key);
    },
    async read(key: string, range?: ReadRange) {
      keysRead.push(key);
      enter("read", key);
      readsSeen++;
      const i = drops.findIndex((d) =>
        (d.nth === undefined || d.nth === readsSeen) && matches(d.key, key)
      );
      // A drop with `nth` fires once; one with only a key (or neither) fires on every match.
      const drop = i >= 0 ? drops[i] : undefined;
      if (drop?.nth !== undefined) drops.splice(i, 1);
      return countingStream(await inner.read(key, range), drop?.afterBytes, key);
    },
    async write(key: string, body: WriteBody, options?: WriteOptions): Promise<WriteResult> {
      keysWritten.push(key);
      enter("write", key);
      if (body instanceof ReadableStream) {
        body = body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytesWritten += chunk.length;
              controller.enqueue(chunk);
            },
          }),
        );
      } else {
        bytesWritten += typeof body === "string"
          ? new TextEncoder().encode(body).length
          : body.length;
      }
      return await inner.write(key, body, options);
    },
    async remove(key: string) {
      keysRemoved.push(key);
      enter("remove", key);
      await inner.remove(key);
    },
    describe(key: string) {
      return inner.describe(key);
    },
    close() {
      return inner.close?.() ?? Promise.resolve();
    },
  };
  return spy;
}
