/**
 * Clients reading while mkrepo publishes: real `apt-get update` and `dnf makecache`
 * (metadata_expire=0) run in a loop over HTTP against an S3 repository (moto, public-read
 * bucket policy) while mkrepo publishes a new generation again and again. moto serves each
 * object on its own, so a client may read a new InRelease/repomd.xml and then the files it
 * names, or an old one and then old files: content-addressed files written first and the
 * previous generation kept must make every run succeed, with no hash sum mismatch and no
 * missing file.
 *
 * One exception is known and only counted: repomd.xml and repomd.xml.asc are two objects, so
 * dnf (repo_gpgcheck) may read an old repomd.xml and then the new signature (or the other way
 * round) when its two reads straddle a publish: "Bad GPG signature" for that run. No server-side
 * order avoids it, and a detached signature file cannot carry signatures of both generations
 * (librepo's rpm backend reads only the first). apt reads InRelease, one object, and has no such
 * window. So the test keeps each generation's repomd.xml and repomd.xml.asc (each pair must
 * verify with gpgv), and the proxy keeps what it served of both files and when it read them from
 * the server: a "Bad GPG signature" is excused only when the run was served repomd.xml of one
 * generation and the signature of the next (or previous) one, and the publish of the later one
 * ran between the two reads. Any other signature failure fails the test. Clients go through a small HTTP proxy that delays every answer by 0-200 ms,
 * so a client's reads spread over the publisher's writes (a client that read the entry point
 * just before a publish fetches the files it names after it).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { type AptSource, withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { withStaticServer } from "../_helpers/http_server.ts";
import { generateKey } from "../../src/sign/keygen.ts";
import { verifyRepository } from "../../src/repo/verify.ts";
import { updateRepository } from "../../src/repo/update.ts";
import { silentEvents } from "../../src/repo/run_types.ts";
import { createSigner } from "../../src/sign/signer.ts";
import { gpgvVerify } from "../_helpers/reference_tools.ts";
import { readAll } from "../../src/storage/storage.ts";

/** Publications per test; clients read for as long as they go on. */
const PUBLISHES = 10;
const KEY = await generateKey({
  name: "Reader Test",
  email: "reader@example.com",
  type: "ed25519",
});

/** A read of repomd.xml or repomd.xml.asc through the proxy: what was served, and when. */
interface SignedRead {
  path: string;
  /** performance.now() before the request to the server, and once its whole body was in. */
  start: number;
  end: number;
  status: number;
  body: Uint8Array;
}

/** repomd.xml and its detached signature (the two objects a dnf client reads separately). */
const SIGNED_PAIR = /\/repodata\/repomd\.xml(\.asc)?$/;

/**
 * An HTTP proxy in front of `target` that forwards GET/HEAD (headers, status, body) after a
 * random delay of up to `maxDelayMs`. Returns its URL (no trailing slash), a stop function, and
 * the log of repomd.xml/.asc reads (asked for without conditions, so each carries its body).
 */
function delayingProxy(target: string, maxDelayMs: number) {
  const signedReads: SignedRead[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("host");
    const logged = req.method === "GET" && SIGNED_PAIR.test(url.pathname);
    if (logged) {
      for (const h of ["if-modified-since", "if-none-match", "range", "if-range"]) {
        headers.delete(h);
      }
    }
    const start = performance.now();
    const res = await fetch(target + url.pathname + url.search, { method: req.method, headers });
    if (logged) {
      const body = new Uint8Array(await res.arrayBuffer());
      signedReads.push({
        path: url.pathname,
        start,
        end: performance.now(),
        status: res.status,
        body,
      });
      return new Response(body, { status: res.status, headers: res.headers });
    }
    return new Response(req.method === "HEAD" ? null : res.body, {
      status: res.status,
      headers: res.headers,
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    stop: () => server.shutdown(),
    signedReads,
  };
}

const MAX_DELAY_MS = 200;
const origin = (url: string) => new URL(url).origin;
const path = (url: string) => new URL(url).pathname;

interface Interval {
  start: number;
  end: number;
}

interface ClientResult {
  ok: boolean;
  output: string;
  /** A failure of the known kind described above (repomd.xml/.asc read across a publish). */
  straddled?: boolean;
  /** dnf: the repomd.xml and repomd.xml.asc reads of this run, in order. */
  reads?: SignedRead[];
}

interface ClientRun extends Interval, ClientResult {}

function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Publishes PUBLISHES generations (each after uploading one more package) while `client`
 * runs in a loop; returns both timelines.
 */
async function publishWhileReading(
  repo: RepoBackend,
  upload: (i: number) => Promise<void>,
  client: () => Promise<ClientResult>,
  /** Called after each publish (generation 0 is the one before the clients start). */
  published: (generation: number) => Promise<void> = () => Promise.resolve(),
): Promise<{ publishes: Interval[]; runs: ClientRun[] }> {
  const env = { MKREPO_SIGNING_KEY: KEY.privateKeyArmored };
  await upload(0);
  const first = await runCli(["--sign", ...repo.args, repo.path], { env });
  assert.equal(first.code, 0, first.stderr);
  await published(0);

  const publishes: Interval[] = [];
  const runs: ClientRun[] = [];
  let publishing = true;
  const reader = (async () => {
    while (publishing) {
      const start = performance.now();
      const r = await client();
      runs.push({ start, end: performance.now(), ...r });
    }
  })();
  try {
    for (let i = 1; i <= PUBLISHES; i++) {
      await upload(i);
      const start = performance.now();
      const r = await runCli(["--sign", ...repo.args, repo.path], { env });
      publishes.push({ start, end: performance.now() });
      assert.equal(r.code, 0, r.stderr);
      await published(i);
    }
  } finally {
    publishing = false;
    await reader;
  }
  const report = await verifyRepository(repo.storage, repo.path, {
    publicKey: KEY.publicKeyArmored,
  });
  assert.deepEqual(report.problems, []);
  return { publishes, runs };
}

function summarize(what: string, publishes: Interval[], runs: ClientRun[]): void {
  const failed = runs.filter((r) => !r.ok && !r.straddled);
  const straddled = runs.filter((r) => r.straddled);
  const overlapping = runs.filter((r) => publishes.some((p) => overlaps(r, p)));
  const pairs = runs.reduce((n, r) => n + publishes.filter((p) => overlaps(r, p)).length, 0);
  console.log(
    `${what}: ${runs.length} client runs during ${publishes.length} publishes; ` +
      `${overlapping.length} runs overlapped a publish (${pairs} run×publish overlaps); ` +
      `${failed.length} failed` +
      (straddled.length ? `; ${straddled.length} read repomd.xml and .asc across a publish` : ""),
  );
  assert.deepEqual(failed.map((r) => r.output), [], `${what}: client runs failed`);
  assert.ok(overlapping.length > 0, `${what}: no client run overlapped a publish`);
  assert.ok(straddled.length * 2 < runs.length, `${what}: most runs failed the signature check`);
}

/** What a generation published: repomd.xml and repomd.xml.asc. */
interface Generation {
  md: Uint8Array;
  asc: Uint8Array;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, k) => x === b[k]);

/**
 * Checks every generation's signature with gpgv, then sorts out the dnf runs by what they were
 * served: the generation of the last repomd.xml and of the last repomd.xml.asc each run read.
 * Same generation: a signature failure is a failure. Neighbouring generations g and g+1, and the
 * publish of g+1 ran between the two reads: a straddle (marked on the run). Anything else (a
 * body no generation published, generations further apart, no publish between the reads, or a
 * run that accepted a mixed pair) is a problem. Returns the problems found.
 */
async function classifySignatureReads(
  generations: Generation[],
  publishes: Interval[],
  runs: ClientRun[],
  keyFile: string,
): Promise<string[]> {
  const problems: string[] = [];
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-pairs-" });
  try {
    for (const [g, { md, asc }] of generations.entries()) {
      await Deno.writeFile(join(dir, "repomd.xml"), md);
      await Deno.writeFile(join(dir, "repomd.xml.asc"), asc);
      const r = await gpgvVerify(keyFile, join(dir, "repomd.xml.asc"), join(dir, "repomd.xml"));
      if (!r.ok) problems.push(`generation ${g}: repomd.xml.asc does not verify: ${r.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (const [i, run] of runs.entries()) {
    run.straddled = false;
    const reads = run.reads ?? [];
    const md = reads.filter((r) => r.path.endsWith(".xml") && r.status === 200).at(-1);
    const asc = reads.filter((r) => r.path.endsWith(".asc") && r.status === 200).at(-1);
    if (!md || !asc) {
      if (!run.ok) problems.push(`run ${i} failed without reading both files: ${run.output}`);
      continue;
    }
    const gMd = generations.findIndex((g) => sameBytes(g.md, md.body));
    const gAsc = generations.findIndex((g) => sameBytes(g.asc, asc.body));
    if (gMd < 0 || gAsc < 0) {
      problems.push(`run ${i} was served a repomd.xml or .asc that no generation published`);
      continue;
    }
    const sigFailure = !run.ok && /Bad GPG signature/.test(run.output);
    if (gMd === gAsc) {
      if (sigFailure) problems.push(`run ${i}: "Bad GPG signature" on generation ${gMd}`);
      continue;
    }
    const later = Math.max(gMd, gAsc);
    const publish = publishes[later - 1]; // generation g >= 1 was published by publishes[g - 1]
    const from = Math.min(md.start, asc.start), to = Math.max(md.end, asc.end);
    if (Math.abs(gMd - gAsc) !== 1 || !(publish.start < to && from < publish.end)) {
      problems.push(
        `run ${i} read repomd.xml of generation ${gMd} and the signature of ${gAsc} ` +
          `without the publish of ${later} between the two reads`,
      );
    } else if (run.ok) {
      problems.push(`run ${i}: dnf accepted repomd.xml ${gMd} with the signature of ${gAsc}`);
    } else if (sigFailure && !/checksum|Cannot download|404|No such file/i.test(run.output)) {
      run.straddled = true;
    }
  }
  return problems;
}

Deno.test("apt-get update never fails while mkrepo publishes to S3 again and again", async () => {
  await withBackend("s3", async (repo) => {
    const keyFile = await Deno.makeTempFile({ suffix: ".asc" });
    await Deno.writeTextFile(keyFile, KEY.publicKeyArmored);
    const proxy = delayingProxy(origin(repo.url), MAX_DELAY_MS);
    try {
      const sources: AptSource = {
        uri: proxy.url + path(repo.url),
        suite: "all",
        components: ["main"],
        signedBy: keyFile,
      };
      await withApt({ sources }, async (apt) => {
        const { publishes, runs } = await publishWhileReading(
          repo,
          (i) =>
            repo.put(
              `pool/main/h/hello/hello_2.10-3+g${i}_amd64.deb`,
              fixture("deb/hello_2.10-3_amd64.deb"),
            ),
          async () => {
            const u = await apt.update();
            const output = u.stdout + u.stderr;
            // Any warning (hash sum mismatch, 404, "Failed to fetch", signature) is a failure.
            return { ok: u.ok && u.warnings.length === 0, output };
          },
        );
        summarize("apt-get update", publishes, runs);
      });
      // A fresh client (this one may keep an InRelease written in the same second as the last
      // one: apt asks with If-Modified-Since, and Last-Modified has whole seconds).
      await withApt({ sources }, async (apt) => {
        const u = await apt.update();
        assert.ok(u.ok, u.stdout + u.stderr);
        const names = (await apt.listPackages()).map((p) => p.filename);
        assert.equal(names.length, PUBLISHES + 1, "apt sees every generation's package");
      });
    } finally {
      await proxy.stop();
      await Deno.remove(keyFile);
    }
  });
});

Deno.test("dnf makecache never fails while mkrepo publishes to S3 again and again", async () => {
  await withBackend("s3", async (repo) => {
    const dir = await Deno.makeTempDir({ prefix: "mkrepo-readers-" });
    const keyFile = join(dir, "key.asc");
    await Deno.writeTextFile(keyFile, KEY.publicKeyArmored);
    const proxy = delayingProxy(origin(repo.url), MAX_DELAY_MS);
    try {
      const generations: Generation[] = [];
      await withDnf({
        repos: { baseurl: proxy.url + path(repo.url), repoGpgcheck: true, gpgkey: keyFile },
      }, async (dnf) => {
        const { publishes, runs } = await publishWhileReading(
          repo,
          (i) => repo.put(`Packages/g${i}/tour-4-6.noarch.rpm`, fixture("rpm/tour-4-6.noarch.rpm")),
          async () => {
            const from = proxy.signedReads.length;
            const m = await dnf.makecache();
            return { ok: m.ok, output: m.stdout + m.stderr, reads: proxy.signedReads.slice(from) };
          },
          async (g) => {
            generations[g] = {
              md: await readAll(repo.storage, "repodata/repomd.xml"),
              asc: await readAll(repo.storage, "repodata/repomd.xml.asc"),
            };
          },
        );
        const problems = await classifySignatureReads(generations, publishes, runs, keyFile);
        assert.deepEqual(problems, [], "signature failures not explained by a straddle");
        assert.ok(runs.every((r) => (r.reads ?? []).length >= 2), "the proxy saw every read");
        summarize("dnf makecache", publishes, runs);
        assert.ok((await dnf.makecache()).ok);
        const locations = (await dnf.repoquery()).map((p) => p.location);
        assert.equal(locations.length, PUBLISHES + 1, "dnf sees every generation's package");
      });
    } finally {
      await proxy.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
});

/**
 * apt revalidates InRelease with If-Modified-Since, and Last-Modified has whole seconds: a
 * generation published within the same second as the one a client holds must still reach it.
 * (Local disk behind a static HTTP server that answers 304 as web servers and S3 do; publishes
 * on disk are fast enough to land twice in one second.)
 */
Deno.test("apt sees a generation published within the second of the one it holds", async () => {
  await withBackend("fs", async (repo) => {
    const signer = await createSigner({ armoredKey: KEY.privateKeyArmored });
    const publish = async (i: number) => {
      const key = `pool/main/h/hello/hello_2.10-3+s${i}_amd64.deb`;
      await repo.put(key, fixture("deb/hello_2.10-3_amd64.deb"));
      await updateRepository(repo.storage, { path: repo.path, events: silentEvents, signer });
    };
    const inRelease = () => Deno.stat(join(repo.path, "dists/all/InRelease"));
    const second = async () => Math.floor((await inRelease()).mtime!.getTime() / 1000);
    const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 10));

    await publish(0);
    await nextSecond();
    await publish(1);
    const first = await second();
    await publish(2); // at once: in the same second, were it not for the publisher
    assert.ok(await second() > first, "InRelease's time moved to a later second");

    const keyFile = join(repo.path, "key.asc"); // apt keeps a verified InRelease only
    await Deno.writeTextFile(keyFile, KEY.publicKeyArmored);
    await withStaticServer(repo.path, async (server) => {
      await withApt({
        sources: { uri: server.url, suite: "all", components: ["main"], signedBy: keyFile },
      }, async (apt) => {
        let sameSecond = 0;
        for (let i = 3; i < 9; i += 2) {
          await nextSecond();
          await publish(i);
          assert.ok((await apt.update()).ok);
          const held = await second();
          if (Math.floor(Date.now() / 1000) === held) sameSecond++;
          await publish(i + 1);
          const u = await apt.update();
          assert.ok(u.ok, u.stdout + u.stderr);
          const files = (await apt.listPackages()).map((p) => p.filename);
          assert.ok(files.some((f) => f.includes(`+s${i + 1}_`)), `apt missed generation ${i + 1}`);
        }
        console.log(`${sameSecond} of 3 rounds published again within the second apt held`);
      });
    });
  });
});
