/**
 * The one process runner of the tests: runs a command to completion (no shell), feeding
 * optional stdin and capturing stdout and stderr as text.
 * @module
 */

/** What a finished process gave back. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode spawnText}. */
export interface SpawnOptions {
  cwd?: string;
  /** The child's whole environment (nothing else is inherited when given). */
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
}

/** Runs `cmd args` and collects its output. */
export async function spawnText(
  cmd: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.env !== undefined,
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
