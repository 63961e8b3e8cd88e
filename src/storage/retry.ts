/**
 * Retries with exponential backoff and full jitter, and the rule deciding which storage
 * errors are worth retrying (5xx, throttling, dropped connections) and which fail at once
 * (403, 404, 412, a missing bucket, a refused connection).
 * @module
 */

/** Options of {@linkcode withRetry}. */
export interface RetryOptions {
  /** Total attempts, the first included (default 4). */
  attempts?: number;
  /** Backoff cap of the first retry in ms (default 100); doubles each retry. */
  baseDelayMs?: number;
  /** Upper bound of one backoff in ms (default 5000). */
  maxDelayMs?: number;
  /** Which errors are retried (default {@linkcode isTransient}). */
  retryable?: (err: unknown) => boolean;
  /** Called before each backoff, e.g. for a verbose log. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Stops waiting and retrying when aborted. */
  signal?: AbortSignal;
  /** Random source in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

/** Backoff before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))]. */
export function backoffDelay(
  retry: number,
  options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "random"> = {},
): number {
  const base = options.baseDelayMs ?? 100;
  const cap = Math.min(options.maxDelayMs ?? 5000, base * 2 ** Math.max(0, retry - 1));
  return Math.floor((options.random ?? Math.random)() * cap);
}

/** Runs `fn` until it succeeds, a non-retryable error is thrown, or the attempts run out. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const retryable = options.retryable ?? isTransient;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !retryable(err) || options.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw err;
    }
  }
}

/** Waits `ms` milliseconds; resolves early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

const transientNames = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequests",
  "TooManyRequestsException",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
  "TimeoutError",
  // Deno's names for socket failures.
  "ConnectionReset",
  "ConnectionAborted",
  "BrokenPipe",
  "TimedOut",
  "UnexpectedEof",
]);

const transientCodes = new Set([
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);

const permanentNames = new Set([
  "NoSuchBucket",
  "NoSuchKey",
  "NotFound",
  "AccessDenied",
  "Forbidden",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "PreconditionFailed",
  "NotImplemented",
  "AccessControlListNotSupported",
  "AbortError",
]);

const transientMessage =
  /socket hang up|premature close|connection (was )?(reset|closed)|aborted|ended early|short body/i;

/**
 * True when an error is worth retrying: HTTP 5xx (but 501) and 429, S3 throttling and timeouts,
 * and dropped connections. 4xx answers, a missing bucket or key, a failed precondition,
 * a refused connection and an unknown host are permanent.
 */
export function isTransient(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const o = e as Record<string, unknown>;
    const name = typeof o.name === "string" ? o.name : "";
    const code = typeof o.Code === "string" ? o.Code : typeof o.code === "string" ? o.code : "";
    if (permanentNames.has(name) || permanentNames.has(code)) return false;
    if (transientNames.has(name) || transientNames.has(code) || transientCodes.has(code)) {
      return true;
    }
    const status = httpStatus(e);
    if (status !== undefined) return status === 429 || (status >= 500 && status !== 501);
    if (typeof o.message === "string" && transientMessage.test(o.message)) return true;
    e = o.cause;
  }
  return false;
}

/** The HTTP status carried by an SDK error (`$metadata.httpStatusCode`) or a plain `status`. */
export function httpStatus(err: unknown): number | undefined {
  if (!err || typeof err !== "object") return undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  if (typeof meta?.httpStatusCode === "number") return meta.httpStatusCode;
  const status = (err as { status?: unknown; statusCode?: unknown }).status ??
    (err as { statusCode?: unknown }).statusCode;
  return typeof status === "number" ? status : undefined;
}
