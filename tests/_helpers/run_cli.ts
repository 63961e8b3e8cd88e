/**
 * Runs the real mkrepo program (src/cli/main.ts, what the binaries run) in a subprocess, as a
 * user would.
 * @module
 */
import { fileURLToPath } from "node:url";
import { type RunResult, spawnText } from "./spawn.ts";
import { PROGRAM, V8_FLAGS } from "../../scripts/compile_plan.ts";

/** Project root (the folder holding deno.json and mod.ts). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /** Added to the inherited environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Working directory; default the project root. */
  cwd?: string;
  /** Bytes or text fed to stdin (stdin is closed otherwise). */
  stdin?: string | Uint8Array;
}

/** What the CLI did. */
export type CliResult = RunResult;

/**
 * Spawns `deno run -A <V8 flags> --quiet --config <root>/deno.json <root>/src/cli/main.ts ...args` with the
 * current Deno binary. The config is passed explicitly so a `cwd` outside the project still
 * gets the project's import map.
 */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env = Deno.env.toObject();
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  env.NO_COLOR = env.NO_COLOR ?? "1";
  const [cmd, ...argv] = cliCommand(args);
  return await spawnText(cmd, argv, {
    cwd: options.cwd ?? PROJECT_ROOT,
    env,
    stdin: options.stdin,
  });
}

/** The command line that runs mkrepo from source with `args` (program first). */
export function cliCommand(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    V8_FLAGS,
    "--quiet",
    "--config",
    PROJECT_ROOT + "deno.json",
    PROJECT_ROOT + PROGRAM,
    ...args,
  ];
}

/** A repository location as the CLI takes it (see repo_backend.ts). */
export interface CliRepo {
  path: string;
  args: string[];
}

/** Runs `mkrepo --json [flags] PATH`; `summary` is the repository's entry of the JSON output. */
export async function runMkrepo(
  repo: CliRepo,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  // deno-lint-ignore no-explicit-any
): Promise<CliResult & { json: any; summary: any }> {
  const r = await runCli(["--json", ...repo.args, ...args, repo.path], { env });
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { ...r, json, summary: json?.repos?.[0] };
}

/** Creates key pairs with `mkrepo keygen` in `dir`: NAME.key (private) and NAME.asc (public). */
export async function makeKeyPairs(dir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const args = ["keygen", "--name", `Test ${name}`, "--email", `${name}@example.com`];
    const r = await runCli([...args, "--out", `${dir}/${name}`]);
    if (r.code !== 0) throw new Error(`mkrepo keygen failed: ${r.stderr}`);
  }
}
