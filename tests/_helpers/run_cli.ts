/**
 * Runs the real mkrepo entry point (mod.ts) in a subprocess, as a user would.
 * @module
 */
import { fileURLToPath } from "node:url";

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
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `deno run -A --quiet --config <root>/deno.json <root>/mod.ts ...args` with the
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
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      PROJECT_ROOT + "deno.json",
      PROJECT_ROOT + "mod.ts",
      ...args,
    ],
    cwd: options.cwd ?? PROJECT_ROOT,
    env,
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
