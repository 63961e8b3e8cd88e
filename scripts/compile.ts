/**
 * `deno task compile [--target TARGET]...`: builds single-file mkrepo executables into
 * `dist/mkrepo-<target>[.exe]` with `deno compile`, for five targets (or the ones named).
 *
 * The narrow permission set is baked into the binaries (see PERMISSIONS), worker modules
 * found in src/ are passed with `--include`, and the build refuses to run when the version in
 * deno.json and src/version.ts differ. `deno compile` downloads the Deno runtime of each
 * target ("denort") from dl.deno.land; where that host is unreachable the script stops with
 * a message saying so (DENORT_BIN can point at a local denort for the host target).
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
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

/**
 * Finds worker modules (`new Worker(new URL("./x.ts", import.meta.url))`) under src/, which
 * `deno compile` does not follow by itself; returns their paths relative to the root.
 */
export async function findWorkerModules(root = ROOT): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(`${root}${dir}`)) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(rel);
      else if (/\.[cm]?[jt]s$/.test(e.name)) {
        const text = await Deno.readTextFile(`${root}${rel}`);
        if (!text.includes("new Worker")) continue;
        const re = /new Worker\(\s*new URL\(\s*["'`]([^"'`]+)["'`]\s*,\s*import\.meta\.url/g;
        let count = 0;
        for (const m of text.matchAll(re)) {
          const url = new URL(m[1], `file:///${rel}`);
          found.push(url.pathname.slice(1));
          count++;
        }
        if (count === 0) {
          throw new Error(
            `${rel} creates a Worker in a form this script cannot follow; write it as ` +
              '`new Worker(new URL("./module.ts", import.meta.url), { type: "module" })`',
          );
        }
      }
    }
  };
  await walk("src");
  return [...new Set(found)].sort();
}

/** The `deno compile` arguments for one target. */
export function compileArgs(target: string, includes: readonly string[]): string[] {
  return [
    "compile",
    "--no-check", // checked once before the first target
    "--config",
    "deno.json",
    ...PERMISSIONS,
    ...includes.flatMap((p) => ["--include", p]),
    "--target",
    target,
    "--output",
    outputName(target),
    "mod.ts",
  ];
}

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  // Echo stderr as it comes, and keep it to explain failures.
  let stderr = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    await Deno.stderr.write(chunk);
    stderr += decoder.decode(chunk, { stream: true });
  }
  return { code: (await child.status).code, stderr };
}

function fail(message: string): never {
  console.error(`compile: ${message}`);
  Deno.exit(1);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { target: { type: "string", multiple: true }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) {
    console.log(
      `usage: deno task compile [--target TARGET]...\ntargets: ${TARGETS.join(", ")}`,
    );
    return;
  }
  const targets = values.target ?? [...TARGETS];
  for (const t of targets) {
    if (!(TARGETS as readonly string[]).includes(t)) {
      fail(`unknown target "${t}"; choose from ${TARGETS.join(", ")}`);
    }
  }

  let version: string;
  try {
    version = await checkVersion();
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const includes = await findWorkerModules();
  console.error(`compile: mkrepo ${version} for ${targets.join(", ")}`);
  console.error(`compile: permissions ${PERMISSIONS.join(" ")}`);
  console.error(`compile: worker modules ${includes.length ? includes.join(", ") : "(none)"}`);

  const check = await run(["check", "--config", "deno.json", "mod.ts"]);
  if (check.code !== 0) fail("type check failed");
  await Deno.mkdir(`${ROOT}dist`, { recursive: true });

  for (const target of targets) {
    const { code, stderr } = await run(compileArgs(target, includes));
    if (code === 0) {
      console.error(`compile: wrote ${outputName(target)}`);
      continue;
    }
    if (/denort|dl\.deno\.land|Setting up base binary/i.test(stderr)) {
      fail(
        `cannot get the Deno runtime for ${target}: deno compile downloads ` +
          `denort-${target}.zip for Deno ${Deno.version.deno} from dl.deno.land, which this ` +
          "machine cannot reach. Build on a machine that reaches it (the release workflow " +
          "does), or set DENORT_BIN to a denort binary of this Deno version for the target.",
      );
    }
    fail(`deno compile failed for ${target} (exit ${code})`);
  }

  // The binary of this machine's target can be run: check that it reports the version.
  const host = Deno.build.target;
  if (targets.includes(host)) {
    const out = await new Deno.Command(`${ROOT}${outputName(host)}`, { args: ["--version"] })
      .output();
    const printed = new TextDecoder().decode(out.stdout).trim();
    if (printed !== `mkrepo ${version}`) {
      fail(`${outputName(host)} --version printed "${printed}", expected "mkrepo ${version}"`);
    }
    console.error(`compile: ${outputName(host)} --version → ${printed}`);
  }
}

if (import.meta.main) await main(Deno.args);
