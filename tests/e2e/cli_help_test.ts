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

Deno.test("mkrepo --json with a usage error prints the JSON error object and exits 2", async () => {
  for (
    const args of [
      ["--bogus-flag", "./repo"],
      [],
      ["verify"],
      ["--concurrency", "0", "x"],
      ["verify", "--s3-endpoint", "localhost:9", "s3://bucket/x"],
    ]
  ) {
    const r = await runCli(["--json", ...args]);
    assert.equal(r.code, 2, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.ok, false);
    assert.equal(json.version, config.version);
    assert.match(json.error, /^Cannot run: /);
    assert.equal(json.error, lines(r.stderr)[0].replace(/^error: /, ""));
  }
});

Deno.test("mkrepo without --json keeps stdout empty on a usage error", async () => {
  const r = await runCli(["--bogus-flag", "./repo"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
});

for (
  const [name, args, env] of [
    ["--s3-endpoint", ["--s3-endpoint", "127.0.0.1:9"], {}],
    ["AWS_ENDPOINT_URL", [], { AWS_ENDPOINT_URL: "127.0.0.1:9" }],
  ] as const
) {
  Deno.test(`mkrepo with ${name} without a scheme exits 2 suggesting http:// or https://`, async () => {
    const r = await runCli([...args, "s3://bucket/repo"], {
      env: { ...env, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" },
    });
    assert.equal(r.code, 2, r.stderr);
    const [error, hint, ...rest] = lines(r.stderr);
    assert.match(error, new RegExp(`^error: .*${name}.*"127\\.0\\.0\\.1:9".*scheme`));
    assert.match(hint ?? "", /http:\/\/127\.0\.0\.1:9.*https:\/\/127\.0\.0\.1:9/);
    assert.deepEqual(rest, []);
  });
}

for (
  const [flags, needs] of [
    [["--public-key", "key.asc"], "--sign"],
    [["--s3-sse-kms-key-id", "k1"], "--s3-sse aws:kms"],
    [["--s3-sse", "AES256", "--s3-sse-kms-key-id", "k1"], "--s3-sse aws:kms"],
  ] as const
) {
  Deno.test(`mkrepo ${flags.join(" ")} without ${needs} is a usage error`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const r = await runCli([...flags, dir]);
      assert.equal(r.code, 2, r.stderr);
      const flag = flags.at(-2);
      assert.match(lines(r.stderr)[0], new RegExp(`^error: .*${flag} needs ${needs}`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("mkrepo --help shows every option verify takes in its usage line", async () => {
  const r = await runCli(["--help"]);
  const usage = /^ {2}mkrepo verify (.*)$/m.exec(r.stdout)?.[1] ?? "";
  for (const flag of ["--deep", "--key", "--json", "--concurrency"]) {
    assert.ok(usage.includes(flag), `verify usage line "${usage}" lacks ${flag}`);
  }
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
