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

/**
 * Runs a command; its stdout, or an error with the last lines of its stderr. `watch` is handed
 * the running process.
 */
export async function run(
  cmd: string[],
  options: RunOptions = {},
  watch?: (child: Deno.ChildProcess) => void,
): Promise<string> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  watch?.(child);
  const out = await child.output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-8).join("\n");
    throw new Error(`${cmd.join(" ")} failed (exit ${out.code}):\n${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Runs a bash script. */
export const sh = (script: string, options: RunOptions = {}) =>
  run(["bash", "-c", script], options);

/** Every how many milliseconds a timed command's private memory is sampled. */
const SAMPLE_MS = 5;

/**
 * The highest private (anonymous) resident memory, in MiB, of the command `/usr/bin/time`
 * (process `timePid`) runs, sampled from /proc every SAMPLE_MS until `done` settles; 0 where
 * /proc does not tell. A sample can miss a spike shorter than SAMPLE_MS.
 */
async function peakPrivate(timePid: number, done: Promise<unknown>): Promise<number> {
  let running = true;
  done.finally(() => running = false).catch(() => {});
  let pid: string | undefined;
  let peak = 0;
  while (running) {
    try {
      pid ||= childOf(timePid);
      const kib = pid && /RssAnon:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
      if (kib) peak = Math.max(peak, Number(kib[1]));
    } catch {
      // not started yet, or already gone
    }
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  return peak / 1024;
}

/** A child process of `pid` (its only one, here), or undefined while it has none. */
function childOf(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(" ")[0] ||
      undefined;
  } catch {
    // A kernel without CONFIG_PROC_CHILDREN: look for the process whose parent it is.
    for (const e of Deno.readDirSync("/proc")) {
      if (/^[0-9]+$/.test(e.name) && parentOf(e.name) === String(pid)) return e.name;
    }
    return undefined;
  }
}

/** The parent's pid of process `pid`, or undefined when it is gone. */
function parentOf(pid: string): string | undefined {
  try {
    // "pid (comm) state ppid …", where comm may hold spaces and parentheses
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
  } catch {
    return undefined;
  }
}

/** The report's line on what the private memory column is. */
export const PRIVATE_NOTE = `peak private: the mkrepo process's anonymous memory (RssAnon), ` +
  `sampled every ${SAMPLE_MS} ms; its peak RSS also counts the pages of the deno executable it ` +
  "touched (file-backed, shared with other processes and reclaimable: 40–55 MiB)";

/** What one timed run measured. */
export interface Sample {
  /** Wall time by our own clock, s. */
  wall: number;
  /** User + system CPU, s. */
  cpu: number;
  /** Peak RSS (GNU time), MiB: private memory and the executable's file-backed pages. */
  rss: number;
  /** Peak private (anonymous) memory, sampled (peakPrivate()), MiB. */
  private: number;
}

/** One timed run under GNU time. */
export async function timedRun(cmd: string[], options: RunOptions = {}): Promise<Sample> {
  const file = await Deno.makeTempFile({ prefix: "mkrepo-bench-time-" });
  try {
    const start = performance.now();
    let sampled = Promise.resolve(0);
    await run(
      ["/usr/bin/time", "-f", "%U %S %M", "-o", file, ...cmd],
      options,
      (child) => sampled = peakPrivate(child.pid, child.status),
    );
    const wall = (performance.now() - start) / 1000;
    const [user, sys, rss] = (await Deno.readTextFile(file)).trim().split("\n").at(-1)!
      .split(" ").map(Number);
    return { wall, cpu: user + sys, rss: rss / 1024, private: await sampled };
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

/** The median of each figure of timed runs. */
export function medianSample(samples: readonly Sample[]): Sample {
  const of = (figure: keyof Sample) => median(samples.map((s) => s[figure]));
  return { wall: of("wall"), cpu: of("cpu"), rss: of("rss"), private: of("private") };
}

/** CPU and memory of a (median) run, for the progress log. */
export function usage(s: Sample): string {
  return `CPU ${s.cpu.toFixed(2)} s, ${s.rss.toFixed(0)} MiB (private ${s.private.toFixed(0)})`;
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
