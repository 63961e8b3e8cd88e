/**
 * `deno task bundle-check`: proves mkrepo works as one self-contained JavaScript file.
 *
 * 1. `deno bundle` mod.ts with its npm packages into a temporary folder. The native xz addon
 *    (@napi-rs/lzma) is left external: its loader `require`s one prebuilt package per platform,
 *    which no bundle can hold, and mkrepo skips Packages.xz when it cannot load it.
 * 2. Runs the bundle from an empty folder with an empty DENO_DIR, `--cached-only --no-npm
 *    --no-remote`, no --allow-net, no config, and no network at all (`unshare -n`) when
 *    available: --version, keygen, a signed deb repository, a second (incremental) run, an rpm
 *    repository, `verify` once it exists, and an S3 location whose SDK must load from the bundle.
 * 3. Prints each check with PASS, FAIL or SKIP; exits 1 when any check fails.
 *
 * `--keep` leaves the temporary folder in place for inspection.
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SAMPLES = `${ROOT}samples`;
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

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
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

async function copyInto(fromDir: string, toDir: string, suffix: string): Promise<number> {
  await Deno.mkdir(toDir, { recursive: true });
  let n = 0;
  for await (const e of Deno.readDir(fromDir)) {
    if (e.isFile && e.name.endsWith(suffix)) {
      await Deno.copyFile(`${fromDir}/${e.name}`, `${toDir}/${e.name}`);
      n++;
    }
  }
  return n;
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
    const debRepo = `${tmp}/deb`;
    const rpmRepo = `${tmp}/rpm`;
    const debs = await copyInto(`${SAMPLES}/deb`, `${debRepo}/pool/main`, ".deb");
    const rpms = await copyInto(`${SAMPLES}/rpm`, `${rpmRepo}/Packages`, ".rpm");
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

    const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
    const v = await mkrepo(["--version"]);
    record(
      v.code === 0 && v.stdout.trim() === `mkrepo ${config.version}` ? "PASS" : "FAIL",
      "--version",
      v.stdout.trim() || lastLine(v.stderr),
    );

    const kg = await mkrepo(["keygen", "--name", "Bundle Check", "--email", "bc@example.invalid"]);
    const privateKey =
      /-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?-----END PGP PRIVATE KEY BLOCK-----/
        .exec(kg.stdout)?.[0];
    const publicKey =
      /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/
        .exec(kg.stdout)?.[0];
    const publicKeyFile = `${home}/key.asc`;
    if (publicKey) await Deno.writeTextFile(publicKeyFile, publicKey + "\n");
    record(
      kg.code === 0 && privateKey ? "PASS" : "FAIL",
      "keygen (openpgp in the bundle)",
      kg.code === 0 ? "ed25519 key" : lastLine(kg.stderr),
    );

    // Deb repository, signed when keygen worked.
    const sign = privateKey ? ["--sign"] : [];
    const signEnv: Record<string, string> = privateKey ? { MKREPO_SIGNING_KEY: privateKey } : {};
    const deb = await mkrepo(["--json", ...sign, debRepo], { env: signEnv });
    let debSummary: { ok?: boolean; repos?: { kind?: string; packages?: number }[] } = {};
    try {
      debSummary = JSON.parse(deb.stdout);
    } catch { /* reported below */ }
    const debFiles = ["dists/all/Release", "dists/all/main/binary-amd64/Packages.gz"];
    if (privateKey) debFiles.push("dists/all/InRelease", "dists/all/Release.gpg");
    const missing = [];
    for (const f of debFiles) if (!(await exists(`${debRepo}/${f}`))) missing.push(f);
    const debOk = deb.code === 0 && debSummary.ok === true &&
      debSummary.repos?.[0]?.kind === "deb" && debSummary.repos[0].packages === debs &&
      missing.length === 0;
    record(
      debOk ? "PASS" : "FAIL",
      `deb repository from ${debs} samples${privateKey ? ", signed" : ""}`,
      debOk ? debFiles.join(", ") : (missing.length ? `missing ${missing.join(", ")}; ` : "") +
        lastLine(deb.stderr),
    );
    const xz = await exists(`${debRepo}/dists/all/main/binary-amd64/Packages.xz`);
    record(
      "PASS",
      "Packages.xz",
      xz ? "written" : "not written: the native xz addon is not in the bundle (expected)",
    );

    const again = await mkrepo(["--json", ...sign, debRepo], { env: signEnv });
    let upToDate = false;
    try {
      upToDate = JSON.parse(again.stdout).repos?.[0]?.upToDate === true;
    } catch { /* reported below */ }
    record(
      again.code === 0 && upToDate ? "PASS" : "FAIL",
      "second run is incremental (up to date)",
      again.code === 0 ? "" : lastLine(again.stderr),
    );

    // RPM repository.
    const rpm = await mkrepo([...sign, rpmRepo], { env: signEnv });
    const rpmFiles = ["repodata/repomd.xml", ...(privateKey ? ["repodata/repomd.xml.asc"] : [])];
    const rpmMissing = [];
    for (const f of rpmFiles) if (!(await exists(`${rpmRepo}/${f}`))) rpmMissing.push(f);
    const rpmOk = rpm.code === 0 && rpmMissing.length === 0;
    record(
      rpmOk ? "PASS" : "FAIL",
      `rpm repository from ${rpms} samples${privateKey ? ", signed" : ""}`,
      rpmOk
        ? rpmFiles.join(", ")
        : (rpmMissing.length ? `missing ${rpmMissing.join(", ")}; ` : "") +
          lastLine(rpm.stderr),
    );

    // verify, once the command exists.
    for (const [name, repo] of [["deb", debRepo], ["rpm", rpmRepo]]) {
      const key = publicKey ? ["--key", publicKeyFile] : [];
      const ver = await mkrepo(["verify", "--deep", ...key, repo]);
      if (ver.code === 2 && /not available/.test(ver.stderr)) {
        record("SKIP", `verify ${name}`, "mkrepo verify is not available in this version");
      } else {
        record(ver.code === 0 ? "PASS" : "FAIL", `verify ${name}`, lastLine(ver.stderr));
      }
    }

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
