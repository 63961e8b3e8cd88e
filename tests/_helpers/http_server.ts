/**
 * A static file server on loopback (Deno.serve) so apt and dnf can be tested over HTTP:
 * GET and HEAD, single byte ranges, If-Modified-Since / If-None-Match, 404 for anything
 * that is not a regular file under the served folder.
 * @module
 */
import { resolve, sep } from "node:path";

/** One request the server answered (for assertions such as "apt fetched by-hash"). */
export interface ServedRequest {
  method: string;
  /** Decoded URL path, e.g. "/dists/stable/InRelease". */
  path: string;
  status: number;
  range?: string;
}

/** What the callback of {@linkcode withStaticServer} gets. */
export interface StaticServer {
  /** Base URL with a trailing slash, e.g. "http://127.0.0.1:41234/". */
  readonly url: string;
  readonly port: number;
  /** Every request answered so far, in order. */
  readonly requests: ServedRequest[];
}

/** Options of {@linkcode withStaticServer}. */
export interface StaticServerOptions {
  /**
   * Called before a file is served; a Response returned here is sent instead (fault
   * injection: 500s, truncated bodies...). `path` is the decoded URL path.
   */
  intercept?: (req: Request, path: string) => Response | undefined | Promise<Response | undefined>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".xml": "text/xml",
  ".gz": "application/gzip",
  ".xz": "application/x-xz",
  ".bz2": "application/x-bzip2",
  ".zst": "application/zstd",
  ".asc": "text/plain",
  ".gpg": "application/pgp-signature",
  ".deb": "application/vnd.debian.binary-package",
  ".rpm": "application/x-rpm",
};

function contentType(path: string): string {
  const dot = path.lastIndexOf(".");
  return (dot >= 0 ? CONTENT_TYPES[path.slice(dot)] : undefined) ?? "application/octet-stream";
}

/** Parses a single "bytes=a-b" range against `size`; null when unsatisfiable. */
function parseRange(header: string, size: number): [number, number] | null | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined; // multi-range or junk: ignore, serve the whole file
  const [, a, b] = m;
  if (a === "" && b === "") return undefined;
  let start: number, end: number;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return null;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return null;
  return [start, end];
}

async function serveFile(req: Request, root: string, path: string): Promise<Response> {
  const full = resolve(root, "." + path);
  if (full !== root && !full.startsWith(root + sep)) {
    return new Response("forbidden", { status: 403 });
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(full);
  } catch {
    return new Response("not found", { status: 404 });
  }
  if (!info.isFile) return new Response("not found", { status: 404 });
  const size = info.size;
  const mtime = info.mtime ?? new Date(0);
  const etag = `"${size.toString(16)}-${mtime.getTime().toString(16)}"`;
  const headers = new Headers({
    "content-type": contentType(full),
    "accept-ranges": "bytes",
    "last-modified": mtime.toUTCString(),
    etag,
  });
  const inm = req.headers.get("if-none-match");
  const ims = req.headers.get("if-modified-since");
  if (
    (inm !== null && inm.split(",").some((t) => t.trim() === etag || t.trim() === "*")) ||
    (inm === null && ims !== null && Math.floor(mtime.getTime() / 1000) <= Date.parse(ims) / 1000)
  ) {
    return new Response(null, { status: 304, headers });
  }
  const rangeHeader = req.headers.get("range");
  const ifRange = req.headers.get("if-range");
  const rangeApplies = rangeHeader !== null &&
    (ifRange === null || ifRange === etag || ifRange === mtime.toUTCString());
  const range = rangeApplies ? parseRange(rangeHeader, size) : undefined;
  if (range === null) {
    headers.set("content-range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  if (range) {
    const [start, end] = range;
    headers.set("content-range", `bytes ${start}-${end}/${size}`);
    headers.set("content-length", String(end - start + 1));
    if (req.method === "HEAD") return new Response(null, { status: 206, headers });
    const file = await Deno.open(full);
    try {
      await file.seek(start, Deno.SeekMode.Start);
      const buf = new Uint8Array(end - start + 1);
      let off = 0;
      while (off < buf.length) {
        const n = await file.read(buf.subarray(off));
        if (n === null) break;
        off += n;
      }
      return new Response(buf.subarray(0, off), { status: 206, headers });
    } finally {
      file.close();
    }
  }
  headers.set("content-length", String(size));
  if (req.method === "HEAD") return new Response(null, { status: 200, headers });
  const file = await Deno.open(full);
  return new Response(file.readable, { status: 200, headers });
}

/**
 * Serves `dir` on http://127.0.0.1:<free port>/ while `fn` runs; the server is shut down
 * in `finally`.
 */
export async function withStaticServer<T>(
  dir: string,
  fn: (server: StaticServer) => Promise<T>,
  options: StaticServerOptions = {},
): Promise<T> {
  const root = resolve(dir);
  const requests: ServedRequest[] = [];
  let listening: (addr: Deno.NetAddr) => void;
  const ready = new Promise<Deno.NetAddr>((r) => listening = r);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => listening(addr as Deno.NetAddr),
  }, async (req) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      path = new URL(req.url).pathname;
    }
    let res: Response;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res = new Response("method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
    } else {
      res = (await options.intercept?.(req, path)) ?? await serveFile(req, root, path);
    }
    requests.push({
      method: req.method,
      path,
      status: res.status,
      ...(req.headers.has("range") ? { range: req.headers.get("range")! } : {}),
    });
    return res;
  });
  try {
    const addr = await ready;
    return await fn({ url: `http://127.0.0.1:${addr.port}/`, port: addr.port, requests });
  } finally {
    await server.shutdown();
  }
}
