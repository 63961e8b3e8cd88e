/**
 * An SDK request handler over the runtime's `fetch`, for the S3 backend's ranged GETs: the SDK
 * still builds, signs, retries and parses the requests, but a response body is the runtime's
 * byte stream, which s3_part.ts reads straight into pooled buffers (a BYOB reader). The SDK's
 * default handler (node:http) delivers every body as fresh 64 KiB buffers: at 0.5 GB per run
 * they piled up between collections (+50–60 MiB of RSS, and more CPU).
 *
 * Typed by shape (smithy's `HttpHandler`), so nothing here imports the SDK.
 * @module
 */

/** A request as the SDK hands it to its handler (smithy's `HttpRequest`). */
export interface SdkRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: BodyInit | null;
}

/** A response as the SDK takes it from its handler (smithy's `HttpResponse`). */
export interface SdkResponse {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array> | null;
}

/** Time allowed until the response headers arrive (the body's stalls are s3_part.ts's). */
const HEADERS_TIMEOUT_MS = 120_000;

/** The handler: one HTTP client of its own (connections pooled), closed by destroy(). */
export class FetchHandler {
  readonly metadata = { handlerProtocol: "http/1.1" };
  #client = Deno.createHttpClient({});

  async handle(
    request: SdkRequest,
    options: { abortSignal?: unknown } = {},
  ): Promise<{ response: SdkResponse }> {
    const abort = new AbortController();
    // The SDK's type also allows its own signal shape; mkrepo passes only AbortSignals.
    const outer = options.abortSignal instanceof AbortSignal ? options.abortSignal : undefined;
    const onAbort = () => abort.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    outer?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => abort.abort(new DOMException("no answer in time", "TimeoutError")),
      HEADERS_TIMEOUT_MS,
    );
    try {
      const res = await fetch(requestUrl(request), {
        method: request.method,
        // The stored bytes, whatever their Content-Encoding: fetch must not decode them.
        headers: { ...request.headers, "accept-encoding": "identity" },
        body: request.body,
        redirect: "manual",
        signal: abort.signal,
        client: this.#client,
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      // A later abort still reaches the body: the listener stays (the signal is the read's).
      return {
        response: { statusCode: res.status, reason: res.statusText, headers, body: res.body },
      };
    } catch (err) {
      outer?.removeEventListener("abort", onAbort);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    this.#client.close();
  }
}

/** The request's URL, its query encoded as the SDK's own handlers do. */
function requestUrl(request: SdkRequest): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value === null) pairs.push(escapeUri(key));
    else {
      for (const v of Array.isArray(value) ? value : [value]) {
        pairs.push(`${escapeUri(key)}=${escapeUri(v)}`);
      }
    }
  }
  const port = request.port ? `:${request.port}` : "";
  const query = pairs.length > 0 ? `?${pairs.join("&")}` : "";
  return `${request.protocol}//${request.hostname}${port}${request.path}${query}`;
}

/** RFC 3986 escaping (encodeURIComponent leaves `!'()*` as they are). */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
