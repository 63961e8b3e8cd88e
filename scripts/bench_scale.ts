/**
 * The scale cases of `deno task bench --scale`: many tiny real packages (the shared kit's
 * `make-scale.sh`), where per-package costs and memory that grows with N dominate.
 *
 * - N tiny debs in one dist (mixed amd64/all): fresh against `apt-ftparchive packages` + gzip -9
 *   + xz + release (the kit's pipeline); nothing changed and one added against the same
 *   pipeline with `--db` (its cache holding everything / all but the new package).
 * - M tiny rpms: fresh against `createrepo_c --workers 2 --no-database`; nothing changed and one
 *   added against `createrepo_c --update` with the same flags.
 * - P tiny debs against the peers, writing gz + xz where they can: aptly 1.5 (`repo add` +
 *   `publish`, gz + bz2: it has no xz) and reprepro 5.3 (`DebIndices: Packages Release . .gz
 *   .xz`), both unsigned, fresh and one added.
 * - S tiny debs on S3 (moto on loopback) with nothing changed: no reference tool; the row counts
 *   the requests of one run against the issue's bound (no package GET, at most one LIST page
 *   per 1,000 objects plus 10 requests).
 *
 * Each case runs its sides alternately (reference, mkrepo, reference, mkrepo, ...) on
 * hard-linked copies of the same corpus, each run after an untimed setup, so that load from
 * other jobs hits both sides alike; the ratio is the median of the per-pair ratios. Peak RSS is
 * GNU time's `%M` (the largest single process of the command), median over the runs.
 * @module
 */
import { join } from "node:path";
import { PROGRAM, V8_FLAGS } from "./compile_plan.ts";
import {
  exists,
  log,
  median,
  medianSample,
  PRIVATE_NOTE,
  run,
  type RunOptions,
  type Sample,
  sh,
  timedRun,
  tree,
  usage,
} from "./bench_common.ts";
import { Moto, S3_ENV } from "./bench_moto.ts";

/** What bench.ts passes. */
export interface ScaleOptions {
  kit: string;
  mkrepo: (...args: string[]) => string[];
  mkrepoRoot: string;
  runs: number;
  warmup: number;
  only?: RegExp;
  skip?: RegExp;
  debN: number;
  rpmN: number;
  peersN: number;
  s3N: number;
  dir: string;
  keep: boolean;
}

interface Side extends RunOptions {
  label: string;
  setup?: () => Promise<unknown>;
  cmd: string[];
}

interface SideStats {
  label: string;
  wall: number;
  cpu: number;
  rss: number;
  private: number;
  walls: number[];
}

interface Row {
  name: string;
  mkrepo?: SideStats;
  /** Absent for a case without a reference tool (S3, nothing changed). */
  ref?: SideStats;
  ratio?: number;
  /** A check of the case's own (S3 requests), shown where the ratio would be. */
  check?: string;
  target?: { ratio?: number; seconds?: number };
  note?: string;
  error?: string;
}

const RSS_TARGET_MIB = 128;

/** Runs the sides alternately: warm-up rounds, then `runs` timed rounds. */
async function alternate(sides: Side[], runs: number, warmup: number): Promise<SideStats[]> {
  const samples: Sample[][] = sides.map(() => []);
  for (let i = -warmup; i < runs; i++) {
    for (const [j, side] of sides.entries()) {
      await side.setup?.();
      const s = await timedRun(side.cmd, { cwd: side.cwd, env: side.env });
      if (i >= 0) samples[j].push(s);
    }
  }
  return sides.map((side, j) => {
    const stats = {
      label: side.label,
      ...medianSample(samples[j]),
      walls: samples[j].map((s) => s.wall),
    };
    log(`    ${side.label}: ${stats.wall.toFixed(3)} s, ${usage(stats)}`);
    return stats;
  });
}

/** Median of the per-run ratios a/b. */
function pairRatio(a: SideStats, b: SideStats): number {
  return median(a.walls.map((w, i) => w / b.walls[i]));
}

async function copy(from: string, to: string): Promise<void> {
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await run(["cp", "-a", from, to]);
}

async function ensureScale(kit: string, dir: string, kind: "deb" | "rpm", n: number) {
  const out = join(dir, `${kind}-${n}`);
  const done = async () =>
    (await exists(join(out, "extra"))) &&
    (await Array.fromAsync(Deno.readDir(join(out, "extra")))).length > 0;
  if (!(await done())) {
    log(`Generating ${out} (make-scale.sh ${kind} ${n})...`);
    await Deno.remove(out, { recursive: true }).catch(() => {});
    await Deno.mkdir(out, { recursive: true });
    const status = await new Deno.Command("bash", {
      args: [join(kit, "make-scale.sh"), out, kind, String(n)],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) throw new Error("make-scale.sh failed");
  }
  const extra = (await sh(`ls "${join(out, "extra")}"`)).trim().split("\n")[0];
  return { corpus: out, extra: join(out, "extra", extra) };
}

/** The kit's apt-ftparchive publication of dists/stable (optionally with a cache database). */
function aptPipeline(db?: string): string {
  const d = "dists/stable/main/binary-amd64";
  return `mkdir -p ${d} && apt-ftparchive ${db ? `--db ${db} ` : ""}packages pool > ${d}/Packages` +
    ` && gzip -9kf ${d}/Packages && xz -kf ${d}/Packages` +
    " && apt-ftparchive -o APT::FTPArchive::Release::Suite=stable" +
    " -o APT::FTPArchive::Release::Components=main" +
    " -o APT::FTPArchive::Release::Architectures=amd64" +
    " release dists/stable > Release.tmp && mv Release.tmp dists/stable/Release";
}

/** Runs every scale case selected and returns the Markdown report. */
export async function scaleBench(o: ScaleOptions): Promise<string> {
  const rows: Row[] = [];
  const want = (name: string) => (!o.only || o.only.test(name)) && !o.skip?.test(name);
  const work = join(o.dir, "work");
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.mkdir(work, { recursive: true });
  const attempt = async (names: string[], fn: () => Promise<void>) => {
    if (!names.some(want)) return;
    try {
      await fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`  failed: ${message}`);
      for (const name of names) {
        if (want(name)) rows.push({ name, error: message.split("\n")[0] });
      }
    }
  };
  const pair = (
    name: string,
    stats: SideStats[],
    target?: Row["target"],
    note?: string,
  ) =>
    rows.push({
      name,
      mkrepo: stats[1],
      ref: stats[0],
      ratio: pairRatio(stats[1], stats[0]),
      target,
      note,
    });

  try {
    // ------------------------------------------------------------------ N tiny debs
    const debNames = ["fresh", "add one", "unchanged"].map((c) => `${o.debN} debs ${c}`);
    await attempt(debNames, async () => {
      const { corpus, extra } = await ensureScale(o.kit, o.dir, "deb", o.debN);
      const ref = join(work, "deb-ref"), mk = join(work, "deb-mk");
      await Deno.mkdir(ref), await Deno.mkdir(mk);
      await tree(join(corpus, "pool"), join(ref, "pool"));
      await tree(join(corpus, "pool"), join(mk, "pool"));
      const rmDists = (d: string) => () =>
        Deno.remove(join(d, "dists"), { recursive: true }).catch(() => {});
      if (want(debNames[0])) {
        log(`  ${debNames[0]}`);
        const stats = await alternate(
          [
            {
              label: "apt-ftparchive pipeline",
              setup: rmDists(ref),
              cmd: ["bash", "-c", aptPipeline()],
              cwd: ref,
            },
            { label: "mkrepo", setup: rmDists(mk), cmd: o.mkrepo("--quiet", mk) },
          ],
          o.runs,
          o.warmup,
        );
        pair(
          debNames[0],
          stats,
          { ratio: 0.7 },
          "vs apt-ftparchive packages + gzip -9 + xz + release",
        );
      }
      // State of "all but one": the reference's cache database and mkrepo's dists.
      await Deno.remove(join(ref, "dists"), { recursive: true }).catch(() => {});
      await Deno.remove(join(mk, "dists"), { recursive: true }).catch(() => {});
      await sh(aptPipeline("../cache.db"), { cwd: ref });
      await run(["cp", "-a", join(work, "cache.db"), join(work, "cache.saved")]);
      await run(o.mkrepo("--quiet", mk));
      await copy(join(mk, "dists"), join(work, "deb-mk-dists.saved"));
      for (const d of [ref, mk]) {
        await Deno.mkdir(join(d, "pool/stable/main/extra"), { recursive: true });
        await Deno.link(extra, join(d, "pool/stable/main/extra", extra.split("/").at(-1)!));
      }
      if (want(debNames[1])) {
        log(`  ${debNames[1]}`);
        const stats = await alternate(
          [
            {
              label: "apt-ftparchive --db pipeline",
              setup: () => run(["cp", "-a", join(work, "cache.saved"), join(work, "cache.db")]),
              cmd: ["bash", "-c", aptPipeline("../cache.db")],
              cwd: ref,
            },
            {
              label: "mkrepo",
              setup: () => copy(join(work, "deb-mk-dists.saved"), join(mk, "dists")),
              cmd: o.mkrepo("--quiet", mk),
            },
          ],
          o.runs,
          o.warmup,
        );
        pair(
          debNames[1],
          stats,
          { ratio: 0.2 },
          "vs the same pipeline with --db (cache of all but 1)",
        );
      }
      if (want(debNames[2])) {
        log(`  ${debNames[2]}`);
        await sh(aptPipeline("../cache.db"), { cwd: ref });
        await run(o.mkrepo("--quiet", mk));
        const stats = await alternate(
          [
            {
              label: "apt-ftparchive --db pipeline",
              cmd: ["bash", "-c", aptPipeline("../cache.db")],
              cwd: ref,
            },
            { label: "mkrepo", cmd: o.mkrepo("--quiet", mk) },
          ],
          o.runs,
          o.warmup,
        );
        pair(
          debNames[2],
          stats,
          { ratio: 0.05, seconds: 2 },
          "vs the same pipeline with --db (cache of all)",
        );
      }
    });

    // ------------------------------------------------------------------ M tiny rpms
    const rpmNames = ["fresh", "add one", "unchanged"].map((c) => `${o.rpmN} rpms ${c}`);
    await attempt(rpmNames, async () => {
      const { corpus, extra } = await ensureScale(o.kit, o.dir, "rpm", o.rpmN);
      const ref = join(work, "rpm-ref"), mk = join(work, "rpm-mk");
      await Deno.mkdir(ref), await Deno.mkdir(mk);
      await tree(join(corpus, "Packages"), join(ref, "Packages"));
      await tree(join(corpus, "Packages"), join(mk, "Packages"));
      const cr = ["createrepo_c", "--workers", "2", "--no-database"];
      const rmMeta = (d: string) => () =>
        Deno.remove(join(d, "repodata"), { recursive: true }).catch(() => {});
      if (want(rpmNames[0])) {
        log(`  ${rpmNames[0]}`);
        const stats = await alternate(
          [
            { label: "createrepo_c", setup: rmMeta(ref), cmd: [...cr, ref] },
            { label: "mkrepo", setup: rmMeta(mk), cmd: o.mkrepo("--quiet", mk) },
          ],
          o.runs,
          o.warmup,
        );
        pair(rpmNames[0], stats, { ratio: 1 }, "vs createrepo_c --workers 2 --no-database");
      }
      for (const d of [ref, mk]) {
        await Deno.remove(join(d, "repodata"), { recursive: true }).catch(() => {});
        await run(d === ref ? [...cr, ref] : o.mkrepo("--quiet", mk));
        await copy(join(d, "repodata"), `${d}-repodata.saved`);
        await Deno.link(extra, join(d, "Packages", extra.split("/").at(-1)!));
      }
      const restore = (d: string) => () => copy(`${d}-repodata.saved`, join(d, "repodata"));
      const update = [...cr, "--update", ref];
      if (want(rpmNames[1])) {
        log(`  ${rpmNames[1]}`);
        const stats = await alternate(
          [
            { label: "createrepo_c --update", setup: restore(ref), cmd: update },
            { label: "mkrepo", setup: restore(mk), cmd: o.mkrepo("--quiet", mk) },
          ],
          o.runs,
          o.warmup,
        );
        pair(
          rpmNames[1],
          stats,
          { ratio: 1.5 },
          "vs createrepo_c --update --workers 2 --no-database",
        );
      }
      if (want(rpmNames[2])) {
        log(`  ${rpmNames[2]}`);
        await run(update);
        await run(o.mkrepo("--quiet", mk));
        const stats = await alternate(
          [
            { label: "createrepo_c --update", cmd: update },
            { label: "mkrepo", cmd: o.mkrepo("--quiet", mk) },
          ],
          o.runs,
          o.warmup,
        );
        pair(
          rpmNames[2],
          stats,
          { ratio: 1.5 },
          "vs createrepo_c --update --workers 2 --no-database",
        );
      }
    });

    // ------------------------------------------------------------------ peers
    const peerNames = [`${o.peersN} debs fresh, peers`, `${o.peersN} debs add one, peers`];
    await attempt(peerNames, async () => {
      for (const tool of ["aptly", "reprepro"]) {
        await run(["bash", "-c", `command -v ${tool}`]).catch(() => {
          throw new Error(`${tool} is needed for the peer cases: apt-get install aptly reprepro`);
        });
      }
      const { corpus, extra } = await ensureScale(o.kit, o.dir, "deb", o.peersN);
      const base = join(work, "peers");
      await Deno.mkdir(base);
      const pool = join(base, "pool"), mk = join(base, "mk");
      await tree(join(corpus, "pool"), pool);
      await Deno.mkdir(mk);
      await tree(join(corpus, "pool"), join(mk, "pool"));
      // aptly: its own root (database + pool + public), unsigned publication of one repo.
      const aptlyConf = join(base, "aptly.conf");
      const aptlyRoot = join(base, "aptly");
      await Deno.writeTextFile(
        aptlyConf,
        JSON.stringify({ rootDir: aptlyRoot, architectures: ["amd64"] }),
      );
      const aptly = `aptly -config=${aptlyConf}`;
      const aptlyFresh = `${aptly} repo create -distribution=stable -component=main scale` +
        ` && ${aptly} repo add scale ${pool} && ${aptly} publish repo -skip-signing scale`;
      // reprepro: gz + xz, unsigned.
      const rr = join(base, "reprepro");
      await Deno.mkdir(join(rr, "conf"), { recursive: true });
      await Deno.writeTextFile(
        join(rr, "conf", "distributions"),
        "Codename: stable\nArchitectures: amd64\nComponents: main\n" +
          "DebIndices: Packages Release . .gz .xz\n",
      );
      const rrFresh = `find ${pool} -name '*.deb' -print0 | xargs -0 reprepro -b ${rr}` +
        ` --export=silent-never includedeb stable && reprepro -b ${rr} export stable`;
      const rrClear = () => sh(`rm -rf ${rr}/db ${rr}/dists ${rr}/pool`);
      const aptlyClear = () => Deno.remove(aptlyRoot, { recursive: true }).catch(() => {});
      const mkClear = () => Deno.remove(join(mk, "dists"), { recursive: true }).catch(() => {});
      let fresh: SideStats[] | undefined;
      if (want(peerNames[0])) {
        log(`  ${peerNames[0]}`);
        fresh = await alternate(
          [
            { label: "mkrepo", setup: mkClear, cmd: o.mkrepo("--quiet", mk) },
            { label: "aptly", setup: aptlyClear, cmd: ["bash", "-c", aptlyFresh] },
            { label: "reprepro", setup: rrClear, cmd: ["bash", "-c", rrFresh] },
          ],
          o.runs,
          o.warmup,
        );
      }
      // One added: each tool's state for all but one, then the new package.
      await aptlyClear(), await rrClear(), await mkClear();
      await sh(aptlyFresh), await sh(rrFresh), await run(o.mkrepo("--quiet", mk));
      await copy(aptlyRoot, `${aptlyRoot}.saved`);
      await copy(rr, `${rr}.saved`);
      await copy(join(mk, "dists"), join(base, "mk-dists.saved"));
      await Deno.mkdir(join(mk, "pool/stable/main/extra"), { recursive: true });
      await Deno.link(extra, join(mk, "pool/stable/main/extra", extra.split("/").at(-1)!));
      let added: SideStats[] | undefined;
      if (want(peerNames[1])) {
        log(`  ${peerNames[1]}`);
        added = await alternate(
          [
            {
              label: "mkrepo",
              setup: () => copy(join(base, "mk-dists.saved"), join(mk, "dists")),
              cmd: o.mkrepo("--quiet", mk),
            },
            {
              label: "aptly",
              setup: () => copy(`${aptlyRoot}.saved`, aptlyRoot),
              cmd: [
                "bash",
                "-c",
                `${aptly} repo add scale ${extra} && ${aptly} publish update -skip-signing stable`,
              ],
            },
            {
              label: "reprepro",
              setup: () => copy(`${rr}.saved`, rr),
              cmd: ["reprepro", "-b", rr, "includedeb", "stable", extra],
            },
          ],
          o.runs,
          o.warmup,
        );
      }
      for (const [name, stats] of [[peerNames[0], fresh], [peerNames[1], added]] as const) {
        if (!stats) continue;
        for (const peer of stats.slice(1)) {
          rows.push({
            name: `${name.replace(", peers", "")} vs ${peer.label}`,
            mkrepo: stats[0],
            ref: peer,
            ratio: pairRatio(stats[0], peer),
            target: { ratio: 1 },
            note: peer.label === "aptly"
              ? "aptly: repo add + publish (gz + bz2, no xz); mkrepo writes gz + xz"
              : "reprepro: includedeb + export, DebIndices . .gz .xz",
          });
        }
      }
    });

    // ------------------------------------------------------------------ S3, nothing changed
    const s3Name = `s3 ${o.s3N} debs unchanged`;
    await attempt([s3Name], async () => {
      const { corpus } = await ensureScale(o.kit, o.dir, "deb", o.s3N);
      const moto = await Moto.start();
      try {
        log(`  ${s3Name} (uploading the packages to moto)`);
        await moto.upload(join(corpus, "pool"), "deb/pool/");
        const cmd = o.mkrepo("--quiet", "--s3-endpoint", moto.endpoint, `s3://${moto.bucket}/deb`);
        log("    (publishing once)");
        await run(cmd, { env: S3_ENV });
        const [stats] = await alternate([{ label: "mkrepo", cmd, env: S3_ENV }], o.runs, o.warmup);
        // The requests of one more run, from moto's log.
        const from = await moto.logSize();
        await run(cmd, { env: S3_ENV });
        const requests = await moto.requests(from);
        const path = (r: { path: string }) => r.path.split("?")[0];
        const packageGets = requests.filter((r) => r.method === "GET" && path(r).endsWith(".deb"))
          .length;
        const lists = requests.filter((r) => r.method === "GET" && /[?&]list-type=2/.test(r.path))
          .length;
        const bound = Math.ceil(o.s3N / 1000) + 10;
        const ok = packageGets === 0 && requests.length <= bound;
        rows.push({
          name: s3Name,
          mkrepo: stats,
          check: `${requests.length} requests (≤ ${bound}), ${packageGets} package GETs (= 0) ${
            ok ? "✓" : "✗"
          }`,
          note: `LIST pages: ${lists}; by method: ${
            [...new Set(requests.map((r) => r.method))].map((m) =>
              `${requests.filter((r) => r.method === m).length} ${m}`
            ).join(", ")
          }`,
        });
      } finally {
        await moto.stop();
      }
    });
  } finally {
    if (!o.keep) await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return report(o, rows);
}

function fmt(s: number | undefined): string {
  if (s === undefined) return "–";
  return s < 1 ? s.toFixed(3) : s.toFixed(2);
}

function report(o: ScaleOptions, rows: Row[]): string {
  const lines = [
    `## mkrepo scale benchmark: ${o.debN} debs, ${o.rpmN} rpms, ${o.peersN} debs vs peers, ` +
    `${o.s3N} debs on S3`,
    "",
    `- corpora: ${o.dir} (make-scale.sh); ${o.runs} timed rounds per case after ${o.warmup} ` +
    "untimed, sides run alternately; ratio = median of the per-round ratios",
    `- mkrepo: \`deno run -A ${V8_FLAGS} ${PROGRAM} --quiet\` from ${o.mkrepoRoot} (Deno ${Deno.version.deno}), ` +
    `${navigator.hardwareConcurrency} cores, load average ${Deno.loadavg().join(" ")}`,
    `- ${PRIVATE_NOTE}`,
    "",
    `| case | mkrepo median s | reference median s | ratio (target) | mkrepo / reference CPU s | mkrepo peak RSS MiB (≤ ${RSS_TARGET_MIB}) | mkrepo peak private MiB | reference peak RSS MiB | notes |`,
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.name} | – | – | – | – | – | – | – | failed: ${r.error} |`);
      continue;
    }
    const m = r.mkrepo!, ref = r.ref;
    if (!ref) {
      const rss = `${m.rss.toFixed(0)} ${m.rss <= RSS_TARGET_MIB ? "✓" : "✗"}`;
      lines.push(
        `| ${r.name} | ${fmt(m.wall)} | – | ${r.check} | ${m.cpu.toFixed(2)} / – | ${rss} | ${
          m.private.toFixed(0)
        } | – | ${r.note ?? ""} |`,
      );
      continue;
    }
    let ratio = `${r.ratio!.toFixed(2)}×`;
    const checks: string[] = [];
    if (r.target?.ratio !== undefined) {
      checks.push(`≤ ${r.target.ratio}× ${r.ratio! <= r.target.ratio ? "✓" : "✗"}`);
    }
    if (r.target?.seconds !== undefined) {
      checks.push(`≤ ${r.target.seconds} s ${m.wall <= r.target.seconds ? "✓" : "✗"}`);
    }
    if (checks.length > 0) ratio += ` (${checks.join(", ")})`;
    const rss = `${m.rss.toFixed(0)} ${m.rss <= RSS_TARGET_MIB ? "✓" : "✗"}`;
    lines.push(
      `| ${r.name} | ${fmt(m.wall)} | ${fmt(ref.wall)} | ${ratio} | ${m.cpu.toFixed(2)} / ${
        ref.cpu.toFixed(2)
      } | ${rss} | ${m.private.toFixed(0)} | ${ref.rss.toFixed(0)} | ${r.note ?? ""} |`,
    );
  }
  return lines.join("\n");
}
