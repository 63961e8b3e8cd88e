/**
 * Progress on stderr as users see it: on a real terminal (a tmux pane) a live line that is
 * redrawn in place and erased before the summary; in a pipe (CI logs) plain lines; and with
 * `--json`, stdout stays one parseable JSON document whatever stderr shows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { PROJECT_ROOT, runCli } from "../_helpers/run_cli.ts";

/** Enough packages for many progress updates (same file under different names). */
const COPIES = 300;
const SUMMARY = new RegExp(
  `: deb repository, ${COPIES} packages \\(${COPIES} added, 0 changed, 0 removed\\), wrote \\d+ files$`,
  "m",
);
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]|\^\[|\[2K/;

/** A temporary folder holding a deb repository `repo/` with COPIES packages. */
async function makeRepo(): Promise<{ dir: string; repo: string }> {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-progress-" });
  const repo = join(dir, "repo");
  const pool = join(repo, "pool", "main");
  await Deno.mkdir(pool, { recursive: true });
  const deb = fixture("deb/hello_2.10-3_amd64.deb");
  for (let i = 0; i < COPIES; i++) {
    await Deno.copyFile(deb, join(pool, `hello-copy${i}_2.10-3_amd64.deb`));
  }
  return { dir, repo };
}

async function tmux(socket: string, args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("tmux", {
      args: ["-L", socket, "-f", "/dev/null", ...args],
      env: { TERM: "xterm-256color" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("tmux is not installed: apt-get install tmux (.ci/run installs it)");
    }
    throw err;
  }
  if (!out.success) {
    throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** What a terminal showed for one run of mkrepo. */
interface TtyRun {
  /** Exit code of mkrepo. */
  code: number;
  /** The pane as rendered (with scrollback), trailing blank lines removed. */
  screen: string;
  /** Every byte mkrepo wrote to the terminal. */
  raw: string;
}

/** Runs mkrepo in a fresh tmux pane of the given width; `redirect` is appended (e.g. "> f"). */
async function runInTmux(
  dir: string,
  args: string[],
  options: { width: number; redirect?: string },
): Promise<TtyRun> {
  const socket = `mkrepo-test-${crypto.randomUUID().slice(0, 8)}`;
  const go = join(dir, "go");
  const rawFile = join(dir, "tty.raw");
  const mkrepo = [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    "--config",
    `${PROJECT_ROOT}deno.json`,
    `${PROJECT_ROOT}mod.ts`,
    ...args,
  ].map(shellQuote).join(" ");
  // Waits for `go` so that pipe-pane records from the first byte; keeps the pane afterwards.
  const script = `while [ ! -e ${shellQuote(go)} ]; do sleep 0.05; done; ` +
    `${mkrepo} ${options.redirect ?? ""}; echo "__EXIT_$?__"; sleep 600`;
  try {
    await tmux(socket, [
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      String(options.width),
      "-y",
      "30",
      "sh",
      "-c",
      script,
    ]);
    await tmux(socket, ["set-option", "-t", "t", "history-limit", "5000"]);
    await tmux(socket, ["pipe-pane", "-o", "-t", "t", `cat > ${shellQuote(rawFile)}`]);
    await Deno.writeTextFile(go, "");
    const deadline = Date.now() + 120_000;
    for (;;) {
      const screen = await tmux(socket, ["capture-pane", "-p", "-t", "t", "-S", "-"]);
      const raw = await Deno.readTextFile(rawFile).catch(() => "");
      const done = /__EXIT_(\d+)__/.exec(screen);
      if (done && raw.includes("__EXIT_")) {
        return {
          code: Number(done[1]),
          screen: screen.replace(/\s+$/, "").split("\n").filter((l) => !/__EXIT_/.test(l))
            .join("\n"),
          raw: raw.slice(0, raw.indexOf("__EXIT_")),
        };
      }
      if (Date.now() > deadline) throw new Error(`mkrepo did not finish in tmux:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await tmux(socket, ["kill-server"]).catch(() => {});
  }
}

/** Checks what every terminal run must show: live updates in place, erased, no garbage. */
function assertLiveProgress(run: TtyRun): void {
  // Terminal escapes are what this test is about.
  // deno-lint-ignore no-control-regex
  const updates = run.raw.match(/\r\x1b\[2Kreading packages \d+\/\d+/g) ?? [];
  assert.ok(
    updates.length >= 2,
    `expected live progress updates, got:\n${JSON.stringify(run.raw)}`,
  );
  assert.match(run.raw, new RegExp(`reading packages ${COPIES}/${COPIES}, `));
  assert.doesNotMatch(
    run.raw,
    // deno-lint-ignore no-control-regex
    /reading packages[^\r\n\x1b]*\r?\n/,
    "a progress line was ended with a newline on a terminal",
  );
  const lastUpdate = run.raw.lastIndexOf("reading packages");
  assert.ok(
    run.raw.indexOf("\r\x1b[2K", lastUpdate) > lastUpdate,
    "the live line is erased after the last update",
  );
  assert.doesNotMatch(run.screen, /reading packages/, `live line left on screen:\n${run.screen}`);
  assert.doesNotMatch(run.screen, CONTROL, `control garbage on screen:\n${run.screen}`);
}

Deno.test("mkrepo on a terminal draws a live progress line, erases it, then prints the summary", async () => {
  const { dir, repo } = await makeRepo();
  try {
    const run = await runInTmux(dir, ["--concurrency", "1", repo], { width: 160 });
    assert.equal(run.code, 0, run.screen);
    assertLiveProgress(run);
    const lines = run.screen.split("\n").map((l) => l.trimEnd());
    assert.equal(lines.length, 2, run.screen);
    assert.equal(lines[0], `Updating deb repository: ${repo}`);
    assert.match(lines[1], SUMMARY);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mkrepo --json on a terminal keeps the redirected stdout pure JSON", async () => {
  const { dir, repo } = await makeRepo();
  try {
    const out = join(dir, "out.json");
    const run = await runInTmux(dir, ["--json", "--concurrency", "1", repo], {
      width: 160,
      redirect: `> ${shellQuote(out)}`,
    });
    assert.equal(run.code, 0, run.screen);
    assertLiveProgress(run);
    assert.equal(run.screen.trimEnd(), `Updating deb repository: ${repo}`);
    const summary = JSON.parse(await Deno.readTextFile(out));
    assert.equal(summary.ok, true);
    assert.equal(summary.repos[0].packages, COPIES);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// "\r\x1b[2K" clears only the cursor's row: a live line wider than the terminal would wrap and
// leave its head behind on every redraw, so the reporter cuts it to the terminal's width.
Deno.test({
  name: "mkrepo on a narrow terminal leaves no wrapped progress behind",
  async fn() {
    const { dir, repo } = await makeRepo();
    try {
      const run = await runInTmux(dir, ["--concurrency", "1", repo], { width: 40 });
      assert.equal(run.code, 0, run.screen);
      assertLiveProgress(run);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("mkrepo with stderr in a pipe prints plain progress lines", async () => {
  const { dir, repo } = await makeRepo();
  try {
    const r = await runCli(["--concurrency", "1", repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r.stderr, /[\r\x1b]/, "no terminal control in a pipe");
    const progress = r.stderr.split("\n").filter((l) => l.startsWith("reading packages"));
    assert.ok(progress.length >= 1, r.stderr);
    for (const line of progress) {
      assert.match(line, /^reading packages \d+\/300, \S+ \S+\/\S+ \S+(, .* ETA \S+)?$/);
    }
    assert.match(progress.at(-1)!, new RegExp(`^reading packages ${COPIES}/${COPIES}, `));
    assert.match(r.stderr, SUMMARY);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mkrepo --json keeps stdout pure JSON while progress goes to stderr", async () => {
  const { dir, repo } = await makeRepo();
  try {
    const r = await runCli(["--json", "--concurrency", "1", repo]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.ok, true);
    assert.equal(summary.repos[0].kind, "deb");
    assert.equal(summary.repos[0].packages, COPIES);
    assert.equal(summary.repos[0].added, COPIES);
    assert.doesNotMatch(r.stdout, /reading packages|Updating/);
    assert.match(r.stderr, new RegExp(`^reading packages ${COPIES}/${COPIES}, `, "m"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
