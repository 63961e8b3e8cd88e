/**
 * What both benchmark scripts (`bench.ts`, `bench_scale.ts`) need to run commands: a checked
 * spawn, one timed run under GNU time, medians, and hard-linked corpus copies.
 * @module
 */

/** Where and with what environment a command runs. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/** Progress on stderr (the report goes to stdout). */
export function log(message: string): void {
  console.error(message);
}

/** Runs a command; its stdout, or an error with the last lines of its stderr. */
export async function run(cmd: string[], options: RunOptions = {}): Promise<string> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-8).join("\n");
    throw new Error(`${cmd.join(" ")} failed (exit ${out.code}):\n${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Runs a bash script. */
export const sh = (script: string, options: RunOptions = {}) =>
  run(["bash", "-c", script], options);

/** One timed run under GNU time: wall (own clock), CPU seconds and peak RSS (MiB). */
export async function timedRun(
  cmd: string[],
  options: RunOptions = {},
): Promise<{ wall: number; cpu: number; rss: number }> {
  const file = await Deno.makeTempFile({ prefix: "mkrepo-bench-time-" });
  try {
    const start = performance.now();
    await run(["/usr/bin/time", "-f", "%U %S %M", "-o", file, ...cmd], options);
    const wall = (performance.now() - start) / 1000;
    const [user, sys, rss] = (await Deno.readTextFile(file)).trim().split("\n").at(-1)!
      .split(" ").map(Number);
    return { wall, cpu: user + sys, rss: rss / 1024 };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** True when the path exists. */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** A hard-linked copy of a corpus tree (the kit's `cp -al`), `extra` linked over it. */
export async function tree(from: string, to: string, extra?: string): Promise<void> {
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await run(["bash", "-c", 'cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"', "_", from, to]);
  if (extra) {
    const script = 'cp -alf "$1/." "$2/" 2>/dev/null || cp -af "$1/." "$2/"';
    await run(["bash", "-c", script, "_", extra, to]);
  }
}
