/**
 * A small TCP proxy on loopback for fault tests: forwards to a local server (moto), counts
 * the bytes going each way, and can cut chosen connections after N bytes of response.
 * @module
 */

/** Options of {@linkcode startTcpProxy}. */
export interface TcpProxyOptions {
  /** Port of the server on 127.0.0.1 to forward to. */
  targetPort: number;
  /**
   * Cut connections after this many response bytes: `connections` lists the 1-based numbers
   * of the accepted connections to cut (default [1], the first one).
   */
  cut?: { afterBytes: number; connections?: number[] };
  /**
   * Holds every connection's response after this many bytes until {@linkcode TcpProxy.release}
   * (bytes the client can no longer take after a release are dropped, not counted).
   */
  hold?: { afterBytes: number };
  /**
   * Loses the answer to the first request whose head (request line and headers, as text)
   * this matches: the request reaches the server, and its response is dropped and the
   * connection closed, as when a connection resets after the server acted.
   */
  loseAnswerTo?: (requestHead: string) => boolean;
}

/** A running proxy. */
export interface TcpProxy {
  port: number;
  /** "http://127.0.0.1:<port>". */
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Response bytes forwarded to clients so far. */
  readonly bytesDown: number;
  /** Request bytes forwarded to the server so far. */
  readonly bytesUp: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Answers lost so far (see `loseAnswerTo`). */
  readonly lostAnswers: number;
  /** Connections the client closed (its side ended before the proxy closed it). */
  readonly clientCloses: number;
  /** Lets held responses flow again (see `hold`). */
  release(): void;
  /** Cuts the next accepted connection after `afterBytes` response bytes. */
  cutNext(afterBytes: number): void;
  /** Stops listening, closes every connection and waits for the pumps to end. */
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port. */
export function startTcpProxy(options: TcpProxyOptions): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const cutAt = new Map<number, number>();
  for (const n of options.cut?.connections ?? (options.cut ? [1] : [])) {
    cutAt.set(n, options.cut!.afterBytes);
  }
  const open = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const stats = {
    connections: 0,
    bytesDown: 0,
    bytesUp: 0,
    cuts: 0,
    clientCloses: 0,
    lostAnswers: 0,
  };
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let closed = false;

  const closeQuietly = (conn: Deno.Conn) => {
    if (!open.delete(conn)) return;
    try {
      conn.close();
    } catch { /* already closed */ }
  };

  const serve = async (client: Deno.Conn, number: number) => {
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: "127.0.0.1", port: options.targetPort });
    } catch {
      closeQuietly(client);
      return;
    }
    open.add(server);
    const limit = cutAt.get(number);
    let down = 0;
    let loseAnswer = false;
    const pump = async (from: Deno.Conn, to: Deno.Conn, isDown: boolean) => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          let chunk = buf.subarray(0, n);
          let cut = false;
          if (!isDown && options.loseAnswerTo && stats.lostAnswers === 0 && !loseAnswer) {
            const head = new TextDecoder().decode(chunk.subarray(0, 8192));
            loseAnswer = options.loseAnswerTo(head);
          }
          if (isDown && loseAnswer) {
            stats.lostAnswers++;
            break; // the server answered: drop it and close both sides
          }
          if (isDown && limit !== undefined && down + n >= limit) {
            chunk = chunk.subarray(0, limit - down);
            cut = true;
          }
          const hold = options.hold?.afterBytes;
          if (isDown && hold !== undefined && down + chunk.length > hold) {
            const before = chunk.subarray(0, Math.max(0, hold - down));
            for (let at = 0; at < before.length;) at += await to.write(before.subarray(at));
            down += before.length;
            stats.bytesDown += before.length;
            chunk = chunk.subarray(before.length);
            await released;
            if (!open.has(to)) break;
          }
          for (let at = 0; at < chunk.length;) at += await to.write(chunk.subarray(at));
          if (isDown) {
            down += chunk.length;
            stats.bytesDown += chunk.length;
          } else {
            stats.bytesUp += chunk.length;
          }
          if (cut) {
            stats.cuts++;
            break;
          }
        }
        if (!isDown && open.has(client)) stats.clientCloses++;
      } catch {
        // The other side went away; close both below.
        if (!isDown && open.has(client)) stats.clientCloses++;
      }
      closeQuietly(client);
      closeQuietly(server);
    };
    await Promise.all([pump(client, server, false), pump(server, client, true)]);
  };

  const accept = (async () => {
    try {
      for await (const conn of listener) {
        if (closed) {
          conn.close();
          break;
        }
        open.add(conn);
        tasks.push(serve(conn, ++stats.connections));
      }
    } catch {
      // Listener closed.
    }
  })();

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return stats.connections;
    },
    get bytesDown() {
      return stats.bytesDown;
    },
    get bytesUp() {
      return stats.bytesUp;
    },
    get cuts() {
      return stats.cuts;
    },
    get lostAnswers() {
      return stats.lostAnswers;
    },
    get clientCloses() {
      return stats.clientCloses;
    },
    release,
    cutNext(afterBytes: number) {
      cutAt.set(stats.connections + 1, afterBytes);
    },
    async close() {
      closed = true;
      release();
      listener.close();
      await accept;
      for (const conn of [...open]) closeQuietly(conn);
      await Promise.all(tasks);
    },
  };
}
