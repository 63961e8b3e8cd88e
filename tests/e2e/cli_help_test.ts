/** The command line as a user meets it first: --help, --version, and usage errors (exit 2). */
import assert from "node:assert/strict";
import { OPTIONS, type OptionSpec } from "../../src/cli/options.ts";
import { PROJECT_ROOT, runCli } from "../_helpers/run_cli.ts";

const config = JSON.parse(await Deno.readTextFile(PROJECT_ROOT + "deno.json"));

/** stderr lines, without a trailing empty one. */
function lines(text: string): string[] {
  return text.replace(/\n$/, "").split("\n");
}

for (const flag of ["--help", "-h"]) {
  Deno.test(`mkrepo ${flag} lists every option of the parser's table`, async () => {
    const r = await runCli([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^mkrepo \S+ /);
    assert.match(r.stdout, /Usage:/);
    assert.match(r.stdout, /Exit codes:/);
    const missing: string[] = [];
    for (const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
      if (!new RegExp(`(^|[\\s,])--${name}(\\s|$)`, "m").test(r.stdout)) missing.push(`--${name}`);
      if (spec.short && !new RegExp(`(^|\\s)-${spec.short}, --${name}\\b`, "m").test(r.stdout)) {
        missing.push(`-${spec.short}`);
      }
    }
    assert.deepEqual(missing, [], `--help does not mention ${missing.join(", ")}`);
  });
}

for (const flag of ["--version", "-V"]) {
  Deno.test(`mkrepo ${flag} prints the version from deno.json`, async () => {
    const r = await runCli([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `mkrepo ${config.version}\n`);
    assert.equal(r.stderr, "");
  });
}

Deno.test("mkrepo with an unknown flag exits 2 with a one-line error and a hint", async () => {
  const r = await runCli(["--bogus-flag", "./repo"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  const [error, hint, ...rest] = lines(r.stderr);
  assert.match(error, /^error: .*--bogus-flag/);
  assert.match(hint ?? "", /^hint: .*--help/);
  assert.deepEqual(rest, []);
});

Deno.test("mkrepo --json with an unknown flag keeps stdout empty", async () => {
  const r = await runCli(["--json", "--bogus-flag", "./repo"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
});

Deno.test("mkrepo without a PATH exits 2 with a usage hint", async () => {
  const r = await runCli([]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  const [error, hint, ...rest] = lines(r.stderr);
  assert.match(error, /^error: .*missing PATH/);
  assert.match(hint ?? "", /^hint: .*usage: mkrepo/);
  assert.deepEqual(rest, []);
});

Deno.test("mkrepo with options but no PATH exits 2", async () => {
  const r = await runCli(["--dry-run", "--concurrency", "2"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing PATH/);
});

Deno.test("mkrepo verify without a PATH exits 2", async () => {
  const r = await runCli(["verify"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: .*verify needs a PATH/);
});
