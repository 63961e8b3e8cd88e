/**
 * `deno task compile [--check] [--target TARGET]...`: builds single-file mkrepo executables
 * into `dist/mkrepo-<target>[.exe]` with `deno compile`, for five targets (or the ones named).
 *
 * The narrow permission set is baked into the binaries, the modules `deno compile` does not
 * follow by itself (Workers', lazily imported ones: compile_plan.ts `findIncludes`) are passed
 * with `--include`, and the build refuses to run when the version in
 * deno.json and src/version.ts differ (scripts/compile_plan.ts). `deno compile` downloads the
 * Deno runtime of each target ("denort") from dl.deno.land; where that host is unreachable the
 * script stops with a message saying so (DENORT_BIN can point at a local denort for the host
 * target). `--check` does everything short of that download, offline (scripts/compile_check.ts).
 * @module
 */
import { parseArgs } from "node:util";
import {
  checkVersion,
  compileArgs,
  findIncludes,
  outputName,
  PERMISSIONS,
  PROGRAM,
  ROOT,
  TARGETS,
} from "./compile_plan.ts";
import { checkCompile } from "./compile_check.ts";

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
    options: {
      target: { type: "string", multiple: true },
      check: { type: "boolean" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      "usage: deno task compile [--check] [--target TARGET]...\n" +
        `targets: ${TARGETS.join(", ")}\n` +
        "--check: everything but the runtime download, offline (see scripts/compile_check.ts)",
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
  let includes: string[];
  try {
    version = await checkVersion();
    includes = await findIncludes();
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  console.error(`compile: mkrepo ${version} for ${targets.join(", ")}`);
  console.error(`compile: permissions ${PERMISSIONS.join(" ")}`);
  console.error(`compile: --include ${includes.length ? includes.join(", ") : "(none)"}`);

  if (values.check) {
    if (!(await checkCompile(targets, includes))) fail("check failed (see above)");
    console.error(
      `compile: check passed; stopped before downloading the Deno ${Deno.version.deno} runtime ` +
        "(denort) of each target from dl.deno.land, the one step left to `deno task compile`",
    );
    return;
  }

  const check = await run(["check", "--config", "deno.json", "mod.ts", PROGRAM]);
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
