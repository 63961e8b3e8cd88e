/**
 * What `deno task compile` builds, shared by the build and its offline check: the five
 * targets, the permissions baked into the binaries, the version stamp, the modules to
 * `--include` (Workers' and lazily imported ones, found by walking the module graph) and the
 * `deno compile` arguments.
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { VERSION } from "../src/version.ts";

/** The targets built by default, as `deno compile --target` names them. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * The permissions a compiled mkrepo runs with, and why:
 * - read, write: repositories on local disk, key files, ~/.aws profiles, `keygen --out`;
 * - net: S3 and S3-compatible endpoints (and the instance/container credential endpoints);
 * - env: MKREPO_*, GPG_SIGN_KEY, SOURCE_DATE_EPOCH and the AWS SDK's AWS_* variables;
 * - sys=osRelease,homedir: the AWS SDK's user agent (os.release) and its profile/login
 *   cache lookup (os.homedir when HOME is unset); local repositories need neither;
 * - ffi: the native xz encoder (@napi-rs/lzma) for Packages.xz; without it xz is skipped;
 * - run=gpg: only the GPG_SIGN_KEY compatibility path spawns gpg.
 */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys=osRelease,homedir",
  "--allow-ffi",
  "--allow-run=gpg",
] as const;

/**
 * The V8 flags mkrepo runs with: the young generation's semi-spaces capped at 2 MiB (V8's
 * default lets them grow to 16 MiB each, three of them, and never gives them back). Measured
 * (docs/decisions.md): 32 gzip control.tar bombs at `--concurrency 32` peak at 166 MiB instead
 * of 264–309 MiB; 20,000 tiny debs run no slower (fresh 13.5–14.5 s against 15.0–15.8 s,
 * unchanged 1.7–1.9 s against 2.0–2.1 s) in 40–55 MiB less. And `--expose-gc`, so that a run
 * collects its reading's garbage before the index encoders start (src/util/collect_garbage.ts:
 * 50,000 tiny debs fresh ~20 MiB less at the peak). Baked into the binaries, the
 * `deno task` lines, the tests' command line and the documented `deno run` lines (a test checks
 * they agree); `DENO_V8_FLAGS` is the other way to set it.
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=2,--expose-gc";

/**
 * The program the binaries run, relative to the project root: the entry that answers `--version`
 * and imports the CLI (run.ts, through a computed specifier: see `findIncludes`), which imports
 * each command's code only when it runs (mod.ts, the library's entry, loads all of it).
 */
export const PROGRAM = "src/cli/main.ts";

/** Project root (holds deno.json and mod.ts). */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Output file of a target, relative to the project root. */
export function outputName(target: string): string {
  return `dist/mkrepo-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** Reads deno.json's version and checks that src/version.ts says the same; returns it. */
export async function checkVersion(root = ROOT): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  const version = config.version;
  if (typeof version !== "string" || version === "") {
    throw new Error(`deno.json has no "version"`);
  }
  if (version !== VERSION) {
    throw new Error(
      `deno.json says version ${version} but src/version.ts says ${VERSION}: ` +
        "set both to the release version before building",
    );
  }
  return version;
}

/** One module of `deno info --json`. */
interface GraphModule {
  specifier: string;
  error?: string;
  dependencies?: { specifier: string; code?: { error?: string }; type?: { error?: string } }[];
}

/**
 * The local modules of `entry`'s module graph (`deno info --json`, no network needed once
 * the npm packages are cached), as absolute file URLs; throws naming any module or import
 * that does not resolve.
 */
export async function localModules(root: string, entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", `${root}deno.json`, entry],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const name = entry.startsWith(root) ? entry.slice(root.length) : entry;
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) throw new Error(`the module graph of ${name} does not resolve: ${stderr}`);
  const graph: { modules: GraphModule[] } = JSON.parse(new TextDecoder().decode(out.stdout));
  const problems: string[] = [];
  for (const m of graph.modules) {
    if (m.error) problems.push(`${m.specifier}: ${m.error}`);
    for (const d of m.dependencies ?? []) {
      const error = d.code?.error ?? d.type?.error;
      if (error) problems.push(`${m.specifier} imports ${d.specifier}: ${error}`);
    }
  }
  if (problems.length) {
    const rootUrl = pathToFileURL(root).href;
    throw new Error(
      `the module graph of ${name} does not resolve: ` +
        problems.join("; ").replaceAll(rootUrl, ""),
    );
  }
  return graph.modules.map((m) => m.specifier).filter((s) => s.startsWith("file:"));
}

/** `new URL("./module.ts", import.meta.url)`: how a Worker's module or a lazy import is named. */
const MODULE_URL = /new URL\(\s*(["'`])([^"'`]+)\1\s*,\s*import\.meta\.url\s*\)/.source;
const WORKERS = new RegExp(/new Worker\(\s*/.source + MODULE_URL, "g");
const LAZY_IMPORTS = new RegExp(/import\(\s*/.source + MODULE_URL + /\.href\s*,?\s*\)/.source, "g");

/**
 * Finds the modules `deno compile` must be told to `--include`, because it does not follow them
 * by itself: the modules of Workers, and modules imported through a computed specifier (which
 * `deno run` does not read at start-up; cli/main.ts), in the program's module graph and in theirs.
 * Each must be named `new URL("./module.ts", import.meta.url)`, as
 * `new Worker(new URL(...), ...)` or `import(new URL(...).href)`; a Worker or `import(new URL`
 * in another form throws naming the file. Returns the paths relative to `root`, which they must
 * be inside.
 */
export async function findIncludes(root = ROOT, entry = PROGRAM): Promise<string[]> {
  const rootUrl = pathToFileURL(root.endsWith("/") ? root : `${root}/`);
  const found = new Set<string>();
  const scanned = new Set<string>();
  const entries = [new URL(entry, rootUrl).href];
  while (entries.length) {
    const next = entries.pop()!;
    for (const specifier of await localModules(root, fileURLToPath(next))) {
      if (scanned.has(specifier)) continue;
      scanned.add(specifier);
      const rel = specifier.startsWith(rootUrl.href)
        ? specifier.slice(rootUrl.href.length)
        : specifier;
      const text = await Deno.readTextFile(new URL(specifier));
      const workers = [...text.matchAll(WORKERS)];
      if (workers.length < (text.match(/new Worker\(/g)?.length ?? 0)) {
        throw new Error(
          `${rel} creates a Worker in a form this script cannot follow; write it as ` +
            '`new Worker(new URL("./module.ts", import.meta.url), { type: "module" })`',
        );
      }
      const lazy = [...text.matchAll(LAZY_IMPORTS)];
      if (lazy.length < (text.match(/import\(\s*new URL\(/g)?.length ?? 0)) {
        throw new Error(
          `${rel} imports a computed URL in a form this script cannot follow; write it as ` +
            '`import(new URL("./module.ts", import.meta.url).href)`',
        );
      }
      for (
        const [what, m] of [
          ...workers.map((m) => ["creates a Worker from", m] as const),
          ...lazy.map((m) => ["imports", m] as const),
        ]
      ) {
        const module = new URL(m[2], specifier);
        if (!module.href.startsWith(rootUrl.href)) {
          throw new Error(`${rel} ${what} ${m[2]}, outside the project`);
        }
        if (!(await Deno.stat(module).then((s) => s.isFile, () => false))) {
          throw new Error(`${rel} ${what} ${m[2]}, which does not exist`);
        }
        const moduleRel = module.href.slice(rootUrl.href.length);
        if (!found.has(moduleRel)) entries.push(module.href);
        found.add(moduleRel);
      }
    }
  }
  return [...found].sort();
}

/** The `deno compile` arguments for one target, writing to `output` (default: dist/). */
export function compileArgs(
  target: string,
  includes: readonly string[],
  output = outputName(target),
): string[] {
  return [
    "compile",
    "--no-check", // checked once before the first target
    "--config",
    "deno.json",
    ...PERMISSIONS,
    V8_FLAGS,
    ...includes.flatMap((p) => ["--include", p]),
    "--target",
    target,
    "--output",
    output,
    PROGRAM,
  ];
}
