/**
 * `deno task bundle-check`: proves mkrepo works as one self-contained JavaScript file.
 *
 * 1. `deno bundle` mod.ts with its npm packages into a temporary folder. The native xz addon
 *    (@napi-rs/lzma) is left external: its loader `require`s one prebuilt package per platform,
 *    which no bundle can hold, and mkrepo skips Packages.xz when it cannot load it.
 * 2. Runs the bundle from an empty folder with an empty DENO_DIR, `--cached-only --no-npm
 *    --no-remote`, no --allow-net, no config, and no network at all (`unshare -n`) when
 *    available: the smoke test of every shipped form (scripts/smoke.ts: --version, keygen,
 *    signed deb and rpm repositories from tests/fixtures, reruns that read nothing, `verify
 *    --deep --key`), then an S3 location whose SDK must load from the bundle.
 * 3. Prints each check with PASS, FAIL or SKIP; exits 1 when any check fails.
 *
 * `--keep` leaves the temporary folder in place for inspection.
 * @module
 */
import { fileURLToPath } from "node:url";
import { type Ran, smoke } from "./smoke.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Left out of the bundle (see the module doc); the bundle's dynamic import of it fails. */
const EXTERNAL = ["@napi-rs/lzma"];
/** What the bundle is run with: local repositories need no more. */
const RUN_PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env"];

type Status = "PASS" | "FAIL" | "SKIP";
const results: { status: Status; name: string; detail: string }[] = [];

function record(status: Status, name: string, detail = ""): void {
  results.push({ status, name, detail });
  console.error(`${status} ${name}${detail ? ` — ${detail}` : ""}`);
}

async function exec(cmd: string, args: string[], options: Deno.CommandOptions = {}): Promise<Ran> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Network isolation: `unshare -n` when it works here (root, Linux), else none. */
async function isolation(): Promise<string[]> {
  try {
    const r = await exec("unshare", ["-n", "true"]);
    return r.code === 0 ? ["unshare", "-n"] : [];
  } catch {
    return [];
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

async function main(): Promise<number> {
  const keep = Deno.args.includes("--keep");
  const tmp = await Deno.makeTempDir({ prefix: "mkrepo-bundle-" });
  try {
    // 1. Bundle.
    const bundle = `${tmp}/mkrepo.js`;
    const built = await exec(Deno.execPath(), [
      "bundle",
      "--quiet",
      "--config",
      `${ROOT}deno.json`,
      "--platform",
      "deno",
      "--packages",
      "bundle",
      ...EXTERNAL.flatMap((e) => ["--external", e]),
      "--output",
      bundle,
      `${ROOT}mod.ts`,
    ], { cwd: ROOT, env: { NO_COLOR: "1" } });
    if (built.code !== 0 || !(await exists(bundle))) {
      record("FAIL", "deno bundle", lastLine(built.stderr) || `exit ${built.code}`);
      return 1;
    }
    const code = await Deno.readTextFile(bundle);
    record("PASS", "deno bundle", `${(code.length / 1048576).toFixed(1)} MiB, one file`);
    const leftover = [
      ...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["']((?:npm:|jsr:|https?:)[^"']*)["']/g),
    ].map((m) => m[1]);
    record(
      leftover.length ? "FAIL" : "PASS",
      "no npm:/jsr:/remote imports left in the bundle",
      leftover.length ? leftover.join(", ") : `external only: ${EXTERNAL.join(", ")}`,
    );

    // 2. Empty world to run in.
    const denoDir = `${tmp}/deno_dir`;
    const cwd = `${tmp}/cwd`;
    const home = `${tmp}/home`;
    for (const d of [denoDir, cwd, home]) await Deno.mkdir(d);
    const prefix = await isolation();
    record(
      prefix.length ? "PASS" : "SKIP",
      "network isolation",
      prefix.length
        ? "unshare -n (no network interface but a down loopback)"
        : "unshare -n unavailable: relying on --cached-only, empty DENO_DIR and no --allow-net",
    );
    /** Error output of runs that succeeded (e.g. a worker module missing from the bundle). */
    const noise: string[] = [];
    const mkrepo = async (
      args: string[],
      extra: { env?: Record<string, string>; perms?: string[] } = {},
    ): Promise<Ran> => {
      const r = await exec(prefix[0] ?? Deno.execPath(), [
        ...prefix.slice(1),
        ...(prefix.length ? [Deno.execPath()] : []),
        "run",
        "--no-config",
        "--no-lock",
        "--no-npm",
        "--no-remote",
        "--cached-only",
        "--no-prompt",
        ...(extra.perms ?? RUN_PERMISSIONS),
        bundle,
        ...args,
      ], {
        cwd,
        clearEnv: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: home,
          DENO_DIR: denoDir,
          NO_COLOR: "1",
          ...extra.env,
        },
      });
      if (r.code === 0) {
        for (const line of r.stderr.split("\n")) {
          if (/^error\b|Uncaught/i.test(line)) noise.push(`mkrepo ${args[0]}: ${line}`);
        }
      }
      return r;
    };

    // The smoke test every shipped form passes (scripts/smoke.ts), on the bundle.
    const work = `${tmp}/work`;
    await Deno.mkdir(work);
    await smoke((args, env) => mkrepo(args, { env }), work, {
      report: (c) => record(c.ok ? "PASS" : "FAIL", c.name, c.detail),
    });
    const xz = await exists(`${work}/deb/dists/all/main/binary-amd64/Packages.xz`);
    record(
      "PASS",
      "Packages.xz",
      xz ? "written" : "not written: the native xz addon is not in the bundle (expected)",
    );

    record(
      noise.length ? "FAIL" : "PASS",
      "successful runs print no error output",
      [...new Set(noise)].join("; "),
    );
    const workerLeft = /new Worker\(\s*new URL\(\s*["'][^"']+\.ts["']/.test(code);
    record(
      workerLeft ? "SKIP" : "PASS",
      "worker modules",
      workerLeft
        ? "a Worker module is loaded by URL and is not in the bundle: the bundle hashes on the " +
          "main thread (deno compile includes it with --include)"
        : "none referenced by URL",
    );

    // The S3 backend is inlined: it must load and fail only on the (absent) network.
    const s3 = await mkrepo(
      ["--s3-endpoint", "http://127.0.0.1:9", "--s3-region", "us-east-1", "s3://bundle-check/x"],
      {
        env: { AWS_ACCESS_KEY_ID: "bundle", AWS_SECRET_ACCESS_KEY: "check" },
        perms: [...RUN_PERMISSIONS, "--allow-net=127.0.0.1:9", "--allow-sys=osRelease,homedir"],
      },
    );
    const s3Loaded = s3.code === 1 && /127\.0\.0\.1:9/.test(s3.stderr) &&
      !/module|Cannot find|npm:/i.test(s3.stderr);
    record(
      s3Loaded ? "PASS" : "FAIL",
      "S3 backend loads from the bundle (connection refused expected)",
      lastLine(s3.stderr),
    );
  } finally {
    if (keep) console.error(`kept ${tmp}`);
    else await Deno.remove(tmp, { recursive: true });
  }

  const failed = results.filter((r) => r.status === "FAIL").length;
  const passed = results.filter((r) => r.status === "PASS").length;
  const skipped = results.filter((r) => r.status === "SKIP").length;
  console.error(`bundle-check: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed ? 1 : 0;
}

Deno.exit(await main());
