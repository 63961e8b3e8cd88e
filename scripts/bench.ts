/**
 * mkrepo's benchmark (`deno task bench`): times mkrepo next to the tools it replaces, on the
 * same deterministic corpus, in one invocation, and prints one Markdown table with the ratios
 * and the targets of the performance issue.
 *
 * The reference side is the benchmark kit (`bench/reference.sh --tsv`, only the rows the
 * selected cases compare with) plus two rows the kit has no case for (createrepo_c --update and
 * apt-ftparchive --db with nothing new), timed here with the kit's discipline. mkrepo runs as a
 * user runs it: `deno run -A <V8 flags> src/cli/main.ts ...` in a subprocess under GNU time (wall: median of the
 * timed runs after untimed warm-up runs; peak RSS: the process's maximum resident set; peak
 * private: its anonymous memory, sampled), on
 * hard-linked copies of the corpus, each run after an untimed setup. The S3 cases use a moto
 * server on loopback and count the requests mkrepo makes (moto's request log).
 *
 *   deno task bench [--n N] [--runs R] [--corpus DIR] [--only RE] [--skip RE] [--big] [--no-s3]
 *   deno task bench --scale [--scale-n N] [--rpm-n N] [--peers-n N] [--s3-n N] [--runs R] [--only RE]
 *
 * --n N          corpus size (default 1000); --corpus DIR defaults to /tmp/mkrepo-bench/nN and
 *                is generated with make-corpus.sh when missing
 * --runs R       timed runs per case (default 5; S3 and 2 GiB cases use at most 3)
 * --warmup W     untimed runs before them (default 1)
 * --only/--skip  regular expressions on the case names below
 * --big          add one 2 GiB package of each kind (make-big.sh, /tmp/mkrepo-bench/big2048)
 * --no-s3        skip the S3 cases
 * --mkrepo DIR   run the mkrepo of another checkout (A/B comparisons; default: this one)
 * --keep         keep the work copies (CORPUS/.mkrepo-bench)
 * --scale        the scale cases instead (many tiny packages, make-scale.sh): N tiny debs in one
 *                dist (fresh / unchanged / add one) against the apt-ftparchive pipeline, M tiny
 *                rpms against createrepo_c, P debs against aptly and reprepro (gz + xz), and S
 *                debs on S3 (moto) with nothing changed, counting mkrepo's requests.
 *                Reference and mkrepo runs alternate on the same corpus; ratios are medians of
 *                the per-pair ratios. --scale-n (50000), --rpm-n (4000), --peers-n (10000),
 *                --s3-n (20000);
 *                --scale-dir DIR holds the generated corpora (default /tmp/mkrepo-bench/scale)
 *
 * Cases: rpm fresh, rpm add one, rpm unchanged, deb fresh, deb add one, deb unchanged,
 * s3 rpm fresh|add one|unchanged, s3 deb fresh|add one|unchanged, big rpm, big deb,
 * mkrepo --version. Progress goes to stderr, the report to stdout.
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { readAll } from "../src/storage/storage.ts";
import { PROGRAM, V8_FLAGS } from "./compile_plan.ts";
import {
  exists,
  log,
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

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KIT = resolve(ROOT, "bench");
const DENO = Deno.execPath();

// ---------------------------------------------------------------------------------------------
// Options

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "1000" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    corpus: { type: "string" },
    only: { type: "string" },
    skip: { type: "string" },
    big: { type: "boolean", default: false },
    "big-size": { type: "string", default: "2048" },
    "no-s3": { type: "boolean", default: false },
    mkrepo: { type: "string" },
    keep: { type: "boolean", default: false },
    scale: { type: "boolean", default: false },
    "scale-n": { type: "string", default: "50000" },
    "rpm-n": { type: "string", default: "4000" },
    "peers-n": { type: "string", default: "10000" },
    "s3-n": { type: "string", default: "20000" },
    "scale-dir": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opt.help) {
  const text = await Deno.readTextFile(fileURLToPath(import.meta.url));
  console.log(text.slice(0, text.indexOf("@module")).replace(/^\/\*\*\n|^ \* ?/gm, ""));
  Deno.exit(0);
}
const N = positive("n", opt.n!);
const RUNS = positive("runs", opt.runs!);
const WARMUP = Math.max(0, Number(opt.warmup));
const SLOW_RUNS = Math.min(3, RUNS);
const BIG_SIZE = positive("big-size", opt["big-size"]!);
const only = opt.only ? new RegExp(opt.only) : undefined;
const skip = opt.skip ? new RegExp(opt.skip) : undefined;

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, not "${value}"`);
  return n;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  Deno.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Cases and what they compare with

/** A reference row: from the kit's TSV (kit: true) or timed here. */
interface RefName {
  name: string;
  kit: boolean;
}

interface CaseDef {
  name: string;
  group: "rpm" | "deb" | "s3" | "big" | "start";
  ref?: RefName;
  /** Ratio target (mkrepo / reference), from the issue. */
  ratio?: number;
  /** Package GETs allowed (S3 cases). */
  packageGets?: "O(1)" | 0;
}

const KIT_RPM_FRESH = "rpm: createrepo_c --no-database";
const KIT_RPM_UPDATE = "rpm: createrepo_c --update --no-database, +1 package";
const OWN_RPM_UNCHANGED = "createrepo_c --update --no-database, nothing new";
const KIT_DEB_FRESH = "deb: apt-ftparchive packages + gzip + xz + release";
const KIT_DEB_UPDATE = "deb: apt-ftparchive --db packages (cache of all but 1), +1 package";
const OWN_DEB_UNCHANGED = "apt-ftparchive --db packages (cache of all), nothing new";
const OWN_EMPTY_RUN = "deno run of a one-line file, runs paired with mkrepo's";
const KIT_S3_RPM = "s3 rpm: sync down + createrepo_c --update + sync up, +1 package";
const KIT_S3_DEB = "s3 deb: sync down + apt-ftparchive + gzip + xz + release + sync up, +1 package";
const KIT_FLOORS = [
  "floor rpm: openssl sha256, 2 processes",
  "floor deb: openssl sha256, 2 processes",
];

const kit = (name: string): RefName => ({ name, kit: true });
const own = (name: string): RefName => ({ name, kit: false });

const CASES: CaseDef[] = [
  { name: "rpm fresh", group: "rpm", ref: kit(KIT_RPM_FRESH), ratio: 1 },
  { name: "rpm add one", group: "rpm", ref: kit(KIT_RPM_UPDATE), ratio: 1 },
  { name: "rpm unchanged", group: "rpm", ref: own(OWN_RPM_UNCHANGED), ratio: 1 },
  { name: "deb fresh", group: "deb", ref: kit(KIT_DEB_FRESH), ratio: 0.5 },
  { name: "deb add one", group: "deb", ref: kit(KIT_DEB_UPDATE), ratio: 1 },
  { name: "deb unchanged", group: "deb", ref: own(OWN_DEB_UNCHANGED), ratio: 1 },
  { name: "s3 rpm fresh", group: "s3", ref: kit(KIT_S3_RPM) },
  { name: "s3 rpm add one", group: "s3", ref: kit(KIT_S3_RPM), ratio: 0.1, packageGets: "O(1)" },
  { name: "s3 rpm unchanged", group: "s3", ref: kit(KIT_S3_RPM), packageGets: 0 },
  { name: "s3 deb fresh", group: "s3", ref: kit(KIT_S3_DEB) },
  { name: "s3 deb add one", group: "s3", ref: kit(KIT_S3_DEB), ratio: 0.1, packageGets: "O(1)" },
  { name: "s3 deb unchanged", group: "s3", ref: kit(KIT_S3_DEB), packageGets: 0 },
  { name: `big rpm (one ${BIG_SIZE} MiB package)`, group: "big", ref: kit(KIT_RPM_FRESH) },
  { name: `big deb (one ${BIG_SIZE} MiB package)`, group: "big", ref: kit(KIT_DEB_FRESH) },
  { name: "mkrepo --version", group: "start", ref: own(OWN_EMPTY_RUN), ratio: 1.5 },
];
const RSS_TARGET_MIB = 128;

const selected = opt.scale
  ? []
  : CASES.filter((c) =>
    (!only || only.test(c.name)) && !skip?.test(c.name) &&
    (c.group !== "s3" || !opt["no-s3"]) && (c.group !== "big" || opt.big)
  );
if (!opt.scale && selected.length === 0) fail("no case selected");
const has = (group: CaseDef["group"]) => selected.some((c) => c.group === group);
const hasCase = (name: string) => selected.some((c) => c.name === name);

// ---------------------------------------------------------------------------------------------
// Processes and timing

interface Stats {
  runs: number;
  wall: number; // median, s
  min: number;
  max: number;
  cpu: number; // median user+sys, s
  rss: number; // median peak RSS, MiB
  private?: number; // median peak private memory, MiB (timed here, not by the kit)
}

/** Warm-up runs, then `runs` timed runs, each after `setup` (untimed). */
async function measure(
  label: string,
  runs: number,
  setup: (() => Promise<unknown>) | undefined,
  cmd: string[],
  options: RunOptions = {},
  afterRun?: () => Promise<void>,
): Promise<Stats> {
  log(`  ${label}`);
  const samples: Sample[] = [];
  for (let i = -WARMUP; i < runs; i++) {
    await setup?.();
    const sample = await timedRun(cmd, options);
    await afterRun?.();
    if (i >= 0) samples.push(sample);
  }
  return statsOf(samples);
}

/** Medians of timed runs, logged. */
function statsOf(samples: Sample[]): Stats {
  const runs = samples.length;
  const walls = samples.map((s) => s.wall);
  const medians = medianSample(samples);
  const stats: Stats = { runs, ...medians, min: Math.min(...walls), max: Math.max(...walls) };
  log(
    `    ${stats.wall.toFixed(3)} s (${stats.min.toFixed(3)}–${stats.max.toFixed(3)}), ` +
      usage(medians),
  );
  return stats;
}

const MKREPO_ROOT = resolve(opt.mkrepo ?? ROOT);
const mkrepo = (...args: string[]) => [
  DENO,
  "run",
  "-A",
  V8_FLAGS,
  join(MKREPO_ROOT, PROGRAM),
  ...args,
];

// ---------------------------------------------------------------------------------------------
// Corpus

async function ensureCorpus(dir: string, make: string[]): Promise<string> {
  if (!(await exists(join(dir, "SHA256SUMS"))) && !(await exists(join(dir, "rpm")))) {
    if (await exists(dir)) {
      const entries = await Array.fromAsync(Deno.readDir(dir));
      if (entries.length > 0) fail(`${dir} is neither a corpus nor empty`);
    }
    log(`Generating ${dir} (${make.join(" ")})...`);
    await Deno.mkdir(dir, { recursive: true });
    const status = await new Deno.Command("bash", {
      args: [join(KIT, make[0]), dir, ...make.slice(1)],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) fail(`${make[0]} failed`);
  }
  return resolve(dir);
}

/** The extra package of each kind (for the add-one cases), relative to extra/<kind>. */
async function extraKey(corpus: string, kind: "rpm" | "deb"): Promise<string> {
  const base = join(corpus, "extra", kind);
  const out = (await sh(`cd "${base}" && find . -type f -name '*.${kind}'`)).trim().split("\n");
  if (out.length !== 1 || !out[0]) fail(`expected one package in ${base}`);
  return out[0].replace(/^\.\//, "");
}

// ---------------------------------------------------------------------------------------------
// The kit's reference rows

const ereEscape = (s: string) => s.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");

interface KitResult {
  rows: Map<string, Stats>;
  header: string[];
  error?: string;
}

/** Runs reference.sh on `corpus` for the given rows (plus the block names they need). */
async function runKit(corpus: string, names: string[], runs: number): Promise<KitResult> {
  const blocks = new Set<string>();
  for (const n of names) {
    if (n.startsWith("rpm: createrepo_c --update")) blocks.add("rpm: createrepo_c --update");
    if (n.startsWith("deb: apt-ftparchive --db")) blocks.add("deb: apt-ftparchive --db");
    if (n.startsWith("s3 ")) blocks.add("s3");
  }
  const re = [...names, ...blocks].map((n) => `^${ereEscape(n)}$`).join("|");
  const tsv = await Deno.makeTempFile({ prefix: "mkrepo-bench-ref-", suffix: ".tsv" });
  log(`Reference tools on ${corpus} (${names.length} rows, kit's reference.sh)...`);
  try {
    const child = new Deno.Command("bash", {
      args: [join(KIT, "reference.sh"), "--only", re, "--tsv", tsv, corpus],
      env: { RUNS: String(runs), SLOW_RUNS: String(Math.min(3, runs)), WARMUP: String(WARMUP) },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout);
    const header = text.split("\n").filter((l) => l.startsWith("- "));
    const rows = new Map<string, Stats>();
    for (const line of (await Deno.readTextFile(tsv)).split("\n")) {
      const f = line.split("\t");
      if (f.length < 7) continue;
      rows.set(f[0], {
        runs: Number(f[1]),
        wall: Number(f[2]),
        min: Number(f[3]),
        max: Number(f[4]),
        cpu: Number(f[5]),
        rss: Number(f[6]) / 1024,
      });
    }
    return {
      rows,
      header,
      error: out.success ? undefined : `reference.sh exited with ${out.code}`,
    };
  } finally {
    await Deno.remove(tsv).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// mkrepo's cases

interface Row {
  def: CaseDef;
  mkrepo?: Stats;
  ref?: Stats;
  notes: string[];
  error?: string;
}

const rows = new Map<string, Row>();
for (const c of selected) rows.set(c.name, { def: c, notes: [] });
const ownRefs = new Map<string, Stats>();

async function attempt(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`  ${name} failed: ${message}`);
    const row = rows.get(name);
    if (row) row.error = message.split("\n")[0];
  }
}

/** fresh, add one, unchanged on local disk for one kind. */
async function localCases(kind: "rpm" | "deb", corpus: string, work: string): Promise<void> {
  const meta = kind === "rpm" ? "repodata" : "dists";
  const extra = join(corpus, "extra", kind);
  const fresh = `${kind} fresh`, addOne = `${kind} add one`, unchanged = `${kind} unchanged`;
  if (hasCase(fresh)) {
    await attempt(fresh, async () => {
      const dir = join(work, `${kind}-fresh`);
      await tree(join(corpus, kind), dir);
      rows.get(fresh)!.mkrepo = await measure(
        `mkrepo: ${fresh}`,
        RUNS,
        () => Deno.remove(join(dir, meta), { recursive: true }).catch(() => {}),
        mkrepo(dir),
      );
    });
  }
  if (hasCase(addOne) || hasCase(unchanged)) {
    await attempt(addOne, async () => {
      const dir = join(work, `${kind}-update`);
      const saved = join(work, `${kind}-saved`);
      await tree(join(corpus, kind), dir);
      await run(mkrepo("--quiet", dir));
      await Deno.remove(saved, { recursive: true }).catch(() => {});
      await sh(`cp -a "${join(dir, meta)}" "${saved}"`);
      await tree(join(corpus, kind), dir, extra);
      const restore = async () => {
        await Deno.remove(join(dir, meta), { recursive: true }).catch(() => {});
        await sh(`cp -a "${saved}" "${join(dir, meta)}"`);
      };
      if (hasCase(addOne)) {
        rows.get(addOne)!.mkrepo = await measure(`mkrepo: ${addOne}`, RUNS, restore, mkrepo(dir));
      } else await run(mkrepo("--quiet", dir));
      if (hasCase(unchanged)) {
        rows.get(unchanged)!.mkrepo = await measure(
          `mkrepo: ${unchanged}`,
          RUNS,
          undefined,
          mkrepo(dir),
        );
      }
    });
  }
}

/** The two reference rows the kit has no case for. */
async function ownReferenceCases(corpus: string, work: string): Promise<void> {
  if (hasCase("rpm unchanged")) {
    await attempt("rpm unchanged", async () => {
      const dir = join(work, "ref-rpm");
      await tree(join(corpus, "rpm"), dir);
      await run(["createrepo_c", "--workers", "2", "--no-database", dir]);
      ownRefs.set(
        OWN_RPM_UNCHANGED,
        await measure(
          OWN_RPM_UNCHANGED,
          RUNS,
          undefined,
          ["createrepo_c", "--workers", "2", "--update", "--no-database", dir],
        ),
      );
    });
  }
  if (hasCase("deb unchanged")) {
    await attempt("deb unchanged", async () => {
      const dir = join(work, "ref-deb");
      await tree(join(corpus, "deb"), dir);
      const cmd = "apt-ftparchive --db ../cache.db packages pool > ../Packages";
      await Deno.remove(join(work, "cache.db")).catch(() => {});
      await sh(cmd, { cwd: dir });
      ownRefs.set(
        OWN_DEB_UNCHANGED,
        await measure(OWN_DEB_UNCHANGED, RUNS, undefined, ["bash", "-c", cmd], { cwd: dir }),
      );
    });
  }
}

/** fresh, add one, unchanged against S3 (moto) for one kind. */
async function s3Cases(kind: "rpm" | "deb", corpus: string, moto: Moto): Promise<void> {
  const names = [`s3 ${kind} fresh`, `s3 ${kind} add one`, `s3 ${kind} unchanged`];
  if (!names.some(hasCase)) return;
  const prefix = `${kind}/`;
  const meta = kind === "rpm" ? "repodata/" : "dists/";
  const extra = await extraKey(corpus, kind);
  const env = S3_ENV;
  const cmd = mkrepo("--s3-endpoint", moto.endpoint, `s3://${moto.bucket}/${kind}`);
  const quiet = [...cmd.slice(0, 4), "--quiet", ...cmd.slice(4)];
  const clearMeta = async () => {
    for (const k of await moto.list(prefix + meta)) await moto.storage.remove(k);
  };
  log(`  (uploading ${kind} packages to moto)`);
  await moto.upload(join(corpus, kind), prefix);
  // Times a case; the requests of its last timed run come from moto's log.
  const measureCounting = async (name: string, setup?: () => Promise<void>) => {
    let from = 0;
    let last: { method: string; path: string }[] = [];
    const stats = await measure(
      `mkrepo: ${name}`,
      SLOW_RUNS,
      async () => {
        await setup?.();
        from = await moto.logSize();
      },
      cmd,
      { env },
      async () => {
        last = await moto.requests(from);
      },
    );
    const gets =
      last.filter((r) => r.method === "GET" && /\.(rpm|deb)(\?|$)/.test(r.path.split("?")[0] + "?"))
        .length;
    const row = rows.get(name)!;
    row.mkrepo = stats;
    row.notes.push(`${last.length} S3 requests, ${gets} package GETs`);
    (row as Row & { gets?: number }).gets = gets;
  };
  if (hasCase(names[0])) {
    await attempt(names[0], () => measureCounting(names[0], clearMeta));
  }
  if (hasCase(names[1]) || hasCase(names[2])) {
    await attempt(names[1], async () => {
      await clearMeta();
      await run(quiet, { env });
      const saved = new Map<string, Uint8Array>();
      for (const k of await moto.list(prefix + meta)) saved.set(k, await readAll(moto.storage, k));
      const extraBytes = await Deno.readFile(join(corpus, "extra", kind, extra));
      await moto.storage.write(prefix + extra, extraBytes);
      const restore = async () => {
        await clearMeta();
        for (const [k, v] of saved) await moto.storage.write(k, v);
      };
      if (hasCase(names[1])) await measureCounting(names[1], restore);
      else await run(quiet, { env });
      if (hasCase(names[2])) await measureCounting(names[2]);
    });
  }
}

async function bigCases(corpus: string, work: string): Promise<void> {
  for (const kind of ["rpm", "deb"] as const) {
    const name = `big ${kind} (one ${BIG_SIZE} MiB package)`;
    if (!hasCase(name)) continue;
    await attempt(name, async () => {
      const dir = join(work, `big-${kind}`);
      await tree(join(corpus, kind), dir);
      const meta = kind === "rpm" ? "repodata" : "dists";
      rows.get(name)!.mkrepo = await measure(
        `mkrepo: ${name}`,
        SLOW_RUNS,
        () => Deno.remove(join(dir, meta), { recursive: true }).catch(() => {}),
        mkrepo(dir),
      );
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function fmtSeconds(s: number | undefined): string {
  if (s === undefined) return "–";
  return s < 1 ? s.toFixed(3) : s.toFixed(2);
}

function verdict(ok: boolean): string {
  return ok ? "✓" : "✗";
}

function report(kitHeader: string[], kitNotes: string[], floors: Map<string, Stats>): string {
  const lines: string[] = [];
  lines.push(
    `## mkrepo benchmark: N=${N}${
      opt.big ? `, plus one ${BIG_SIZE} MiB package of each kind` : ""
    }`,
  );
  lines.push("");
  lines.push(
    `- corpus: ${corpusDir}; ${RUNS} timed runs per case (${SLOW_RUNS} for S3 and big packages), ` +
      `each after ${WARMUP} untimed; medians`,
  );
  const from = MKREPO_ROOT === resolve(ROOT) ? "" : ` from ${MKREPO_ROOT}`;
  lines.push(
    `- mkrepo: \`deno run -A ${V8_FLAGS} ${PROGRAM}\`${from} (Deno ${Deno.version.deno}), ` +
      `${navigator.hardwareConcurrency} cores`,
  );
  lines.push(`- ${PRIVATE_NOTE}`);
  for (const h of kitHeader) lines.push(h);
  for (const n of kitNotes) lines.push(`- ${n}`);
  lines.push("");
  lines.push(
    `| case | mkrepo median s | reference median s | ratio (target) | mkrepo peak RSS MiB (≤ ${RSS_TARGET_MIB}) | mkrepo peak private MiB | reference peak RSS MiB | notes |`,
  );
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const row of rows.values()) {
    const c = row.def;
    const m = row.mkrepo;
    const ref = row.ref;
    let ratio = "–";
    if (m && ref && ref.wall > 0) {
      const r = m.wall / ref.wall;
      ratio = `${r.toFixed(2)}×`;
      if (c.ratio !== undefined) ratio += ` (≤ ${c.ratio}× ${verdict(r <= c.ratio)})`;
    }
    const notes = [...row.notes];
    const gets = (row as Row & { gets?: number }).gets;
    if (c.packageGets !== undefined && gets !== undefined) {
      const ok = c.packageGets === 0 ? gets === 0 : gets <= 4;
      notes.push(`package GETs ${c.packageGets === 0 ? "= 0" : "O(1)"} ${verdict(ok)}`);
    }
    if (c.ref) notes.push(`vs ${c.ref.kit ? "kit" : "own"}: ${c.ref.name}`);
    if (row.error) notes.push(`failed: ${row.error}`);
    const rss = m ? `${m.rss.toFixed(0)} ${verdict(m.rss <= RSS_TARGET_MIB)}` : "–";
    const time = (stats?: Stats) =>
      c.group === "start" && stats
        ? `${(stats.wall * 1000).toFixed(0)} ms`
        : fmtSeconds(stats?.wall);
    lines.push(
      `| ${c.name} | ${time(m)} | ${time(ref)} | ${ratio} | ${rss} | ${
        m?.private?.toFixed(0) ?? "–"
      } | ${ref ? ref.rss.toFixed(0) : "–"} | ${notes.join("; ")} |`,
    );
  }
  if (floors.size > 0) {
    lines.push("");
    lines.push(
      "Hash floor on the same corpus (kit): " +
        [...floors].map(([n, s]) => `${n}: ${fmtSeconds(s.wall)} s`).join("; ") + ".",
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main

if (!(await exists(join(KIT, "reference.sh")))) fail(`benchmark kit not found at ${KIT}`);
if (!(await exists("/usr/bin/time"))) {
  fail("GNU time (/usr/bin/time) is needed: apt-get install time");
}
if (opt.scale) {
  const { scaleBench } = await import("./bench_scale.ts");
  console.log(
    await scaleBench({
      kit: KIT,
      mkrepo,
      mkrepoRoot: MKREPO_ROOT,
      runs: RUNS,
      warmup: WARMUP,
      only,
      skip,
      debN: positive("scale-n", opt["scale-n"]!),
      rpmN: positive("rpm-n", opt["rpm-n"]!),
      peersN: positive("peers-n", opt["peers-n"]!),
      s3N: positive("s3-n", opt["s3-n"]!),
      dir: resolve(opt["scale-dir"] ?? "/tmp/mkrepo-bench/scale"),
      keep: opt.keep,
    }),
  );
  Deno.exit(0);
}

const corpusDir = resolve(opt.corpus ?? `/tmp/mkrepo-bench/n${N}`);
const needsCorpus = has("rpm") || has("deb") || has("s3");
const corpus = needsCorpus
  ? await ensureCorpus(corpusDir, ["make-corpus.sh", String(N)])
  : corpusDir;
const work = join(needsCorpus ? corpus : await Deno.makeTempDir(), ".mkrepo-bench");
await Deno.remove(work, { recursive: true }).catch(() => {});
await Deno.mkdir(work, { recursive: true });

const kitHeader: string[] = [];
const kitNotes: string[] = [];
const floors = new Map<string, Stats>();
try {
  // Reference rows first (the kit), local then S3, each run tolerating the other's failure.
  const localNames = new Set<string>();
  const s3Names = new Set<string>();
  for (const c of selected) {
    if (!c.ref?.kit || c.group === "big") continue;
    (c.group === "s3" ? s3Names : localNames).add(c.ref.name);
  }
  if (has("rpm")) localNames.add(KIT_FLOORS[0]);
  if (has("deb")) localNames.add(KIT_FLOORS[1]);
  const kitRows = new Map<string, Stats>();
  for (const names of [localNames, s3Names]) {
    if (names.size === 0) continue;
    const res = await runKit(corpus, [...names], RUNS);
    if (kitHeader.length === 0) kitHeader.push(...res.header);
    if (res.error) kitNotes.push(`kit: ${res.error} (${[...names].join(", ")})`);
    for (const [k, v] of res.rows) kitRows.set(k, v);
    for (const n of names) {
      if (!res.rows.has(n)) kitNotes.push(`kit row missing: ${n}`);
    }
  }
  for (const f of KIT_FLOORS) if (kitRows.has(f)) floors.set(f, kitRows.get(f)!);

  log("Reference rows timed here...");
  await ownReferenceCases(corpus, work);

  log("mkrepo...");
  if (has("rpm")) await localCases("rpm", corpus, work);
  if (has("deb")) await localCases("deb", corpus, work);
  if (has("s3")) {
    let moto: Moto | undefined;
    try {
      moto = await Moto.start();
      await s3Cases("rpm", corpus, moto);
      await s3Cases("deb", corpus, moto);
    } catch (err) {
      kitNotes.push(`mkrepo S3 cases: ${err instanceof Error ? err.message : err}`);
    } finally {
      await moto?.stop();
    }
  }
  if (has("big")) {
    const bigDir = await ensureCorpus(`/tmp/mkrepo-bench/big${BIG_SIZE}`, [
      "make-big.sh",
      String(BIG_SIZE),
    ]);
    const bigWork = join(bigDir, ".mkrepo-bench");
    await Deno.mkdir(bigWork, { recursive: true });
    try {
      const res = await runKit(bigDir, [KIT_RPM_FRESH, KIT_DEB_FRESH], SLOW_RUNS);
      if (res.error) kitNotes.push(`kit (big): ${res.error}`);
      for (const kind of ["rpm", "deb"] as const) {
        const row = rows.get(`big ${kind} (one ${BIG_SIZE} MiB package)`);
        if (row) row.ref = res.rows.get(kind === "rpm" ? KIT_RPM_FRESH : KIT_DEB_FRESH);
      }
      await bigCases(bigDir, bigWork);
    } finally {
      if (!opt.keep) await Deno.remove(bigWork, { recursive: true }).catch(() => {});
    }
  }
  if (hasCase("mkrepo --version")) {
    await attempt("mkrepo --version", async () => {
      // Start-up is a few tens of milliseconds: the two sides alternate run by run, so that the
      // ratio is taken under the same load.
      const empty = join(work, "one_line.ts");
      await Deno.writeTextFile(empty, 'console.log("mkrepo");\n');
      log("  mkrepo --version, paired with a one-line file");
      const sides: Sample[][] = [[], []];
      for (let i = -WARMUP; i < Math.max(RUNS, 15); i++) {
        const pair = [
          await timedRun([DENO, "run", "-A", V8_FLAGS, empty]),
          await timedRun(mkrepo("--version")),
        ];
        if (i >= 0) pair.forEach((sample, side) => sides[side].push(sample));
      }
      ownRefs.set(OWN_EMPTY_RUN, statsOf(sides[0]));
      rows.get("mkrepo --version")!.mkrepo = statsOf(sides[1]);
    });
  }

  for (const row of rows.values()) {
    const ref = row.def.ref;
    if (!ref || row.def.group === "big") continue;
    row.ref = ref.kit ? kitRows.get(ref.name) : ownRefs.get(ref.name);
  }
} finally {
  if (!opt.keep) await Deno.remove(work, { recursive: true }).catch(() => {});
}

console.log(report(kitHeader, kitNotes, floors));
