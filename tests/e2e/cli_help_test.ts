/** The command line as a user meets it first: --help, --version, and usage errors (exit 2). */
import assert from "node:assert/strict";
import { type CliOptions, parseCli } from "../../src/cli/args.ts";
import { OPTIONS } from "../../src/cli/options.ts";
import { PROJECT_ROOT, runCli } from "../_helpers/run_cli.ts";

const config = JSON.parse(await Deno.readTextFile(PROJECT_ROOT + "deno.json"));

/** stderr lines, without a trailing empty one. */
function lines(text: string): string[] {
  return text.replace(/\n$/, "").split("\n");
}

/**
 * Every flag mkrepo has, written out here by hand (not taken from src/cli/options.ts): long name,
 * short letter, the value name --help shows, the command it is given with, a sample value and
 * where parseCli puts it. A flag added, renamed or dropped in the table must be added here too.
 */
const FLAGS: {
  long: string;
  short?: string;
  arg?: string;
  command?: "verify" | "keygen";
  value?: string;
  effect: (o: CliOptions) => unknown;
  expected?: unknown;
}[] = [
  { long: "help", short: "h", effect: (o) => o.help, expected: true },
  { long: "version", short: "V", effect: (o) => o.version, expected: true },
  { long: "dry-run", short: "n", effect: (o) => o.dryRun, expected: true },
  { long: "json", effect: (o) => o.json, expected: true },
  { long: "quiet", short: "q", effect: (o) => o.quiet, expected: true },
  { long: "verbose", short: "v", effect: (o) => o.verbose, expected: true },
  { long: "concurrency", arg: "N", value: "7", effect: (o) => o.concurrency, expected: 7 },
  { long: "force", effect: (o) => o.force, expected: true },
  { long: "grace", arg: "TIME", value: "30m", effect: (o) => o.graceSeconds, expected: 1800 },
  { long: "keep", arg: "N", value: "3", effect: (o) => o.keep, expected: 3 },
  { long: "keep-days", arg: "D", value: "30", effect: (o) => o.keepDays, expected: 30 },
  { long: "deep", command: "verify", effect: (o) => o.deep, expected: true },
  { long: "sign", effect: (o) => o.sign, expected: true },
  { long: "no-sign", effect: (o) => o.noSign, expected: true },
  { long: "replace-key", effect: (o) => o.replaceKey, expected: true },
  {
    long: "sign-key-file",
    arg: "FILE",
    value: "k.key",
    effect: (o) => [o.signKeyFile, o.sign],
    expected: ["k.key", true],
  },
  { long: "public-key", arg: "NAME", value: "key.asc", effect: (o) => o.publicKey },
  { long: "key", arg: "FILE", command: "verify", value: "k.asc", effect: (o) => o.verifyKey },
  { long: "name", arg: "NAME", command: "keygen", value: "Repo", effect: (o) => o.keygen.name },
  { long: "email", arg: "EMAIL", command: "keygen", value: "r@x", effect: (o) => o.keygen.email },
  { long: "type", arg: "TYPE", command: "keygen", value: "rsa4096", effect: (o) => o.keygen.type },
  { long: "out", arg: "PREFIX", command: "keygen", value: "sig", effect: (o) => o.keygen.out },
  { long: "s3-endpoint", arg: "URL", value: "http://h:1", effect: (o) => o.s3.endpoint },
  { long: "s3-region", arg: "REGION", value: "eu-west-3", effect: (o) => o.s3.region },
  { long: "s3-access-key-id", arg: "ID", value: "AKID", effect: (o) => o.s3.accessKeyId },
  { long: "s3-secret-access-key", arg: "KEY", value: "s", effect: (o) => o.s3.secretAccessKey },
  { long: "s3-public-read", effect: (o) => o.s3.publicRead, expected: true },
  { long: "no-s3-public-read", effect: (o) => o.s3.noPublicRead, expected: true },
  { long: "s3-storage-class", arg: "CLASS", value: "GLACIER", effect: (o) => o.s3.storageClass },
  { long: "s3-sse", arg: "ALG", value: "aws:kms", effect: (o) => o.s3.sse },
  { long: "s3-sse-kms-key-id", arg: "ID", value: "kms1", effect: (o) => o.s3.sseKmsKeyId },
  { long: "deb-origin", arg: "TEXT", value: "Org", effect: (o) => o.deb.origin },
  { long: "deb-label", arg: "TEXT", value: "Lab", effect: (o) => o.deb.label },
  { long: "deb-description", arg: "TEXT", value: "Desc", effect: (o) => o.deb.description },
  {
    long: "deb-architectures",
    arg: "LIST",
    value: "amd64,riscv64",
    effect: (o) => o.deb.architectures,
    expected: ["amd64", "riscv64"],
  },
  {
    long: "deb-components",
    arg: "LIST",
    value: "main,extra",
    effect: (o) => o.deb.components,
    expected: ["main", "extra"],
  },
  {
    long: "deb-hashes",
    arg: "LIST",
    value: "sha512",
    effect: (o) => o.deb.hashes,
    expected: ["md5", "sha512", "sha256"],
  },
  { long: "rpm-compression", arg: "ALG", value: "zstd", effect: (o) => o.rpmCompression },
  { long: "temp-dir", arg: "DIR", value: "/tmp/x", effect: () => "ignored", expected: "ignored" },
];

/** What --help shows for an option: "-x, --long ARG", "--long ARG", "--long". */
function helpForm(f: (typeof FLAGS)[number]): string {
  return `${f.short ? `-${f.short}, ` : ""}--${f.long}${f.arg ? ` ${f.arg}` : ""}`;
}

/** The option lines of --help (two spaces, then a flag), as "-x, --long ARG". */
function helpOptions(help: string): string[] {
  const out: string[] = [];
  for (const line of help.split("\n")) {
    const m = /^ {2}(?:-(\w), | {4})--([a-z0-9-]+)(?: ([A-Z]+))?(?: |$)/.exec(line);
    if (m) out.push(`${m[1] ? `-${m[1]}, ` : ""}--${m[2]}${m[3] ? ` ${m[3]}` : ""}`);
  }
  return out;
}

for (const flag of ["--help", "-h"]) {
  Deno.test(`mkrepo ${flag} lists exactly the flags written out in this test`, async () => {
    const r = await runCli([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^mkrepo \S+ /);
    assert.match(r.stdout, /Usage:/);
    assert.match(r.stdout, /Exit codes:/);
    assert.deepEqual(helpOptions(r.stdout).sort(), FLAGS.map(helpForm).sort());
  });
}

Deno.test("the parser accepts every flag --help lists, short forms included, with its value", () => {
  for (const f of FLAGS) {
    for (const spelling of [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])]) {
      const argv = [
        ...(f.command ? [f.command] : []),
        spelling,
        ...(f.value !== undefined ? [f.value] : []),
        ...(f.command === "keygen" ? [] : ["./repo"]),
        // the secret is only accepted together with its key id; the KMS key id with aws:kms;
        // the public key name with --sign
        ...(f.long === "s3-secret-access-key" ? ["--s3-access-key-id", "AKID"] : []),
        ...(f.long === "s3-sse-kms-key-id" ? ["--s3-sse", "aws:kms"] : []),
        ...(f.long === "public-key" ? ["--sign"] : []),
      ];
      let options: CliOptions;
      try {
        options = parseCli(argv);
      } catch (e) {
        throw new Error(`parseCli(${JSON.stringify(argv)}) refused it: ${e}`);
      }
      const expected = "expected" in f ? f.expected : f.value;
      assert.deepEqual(f.effect(options), expected, `${argv.join(" ")}`);
    }
  }
});

Deno.test("the parser refuses a flag that is not in the list, and the table has no other flag", () => {
  assert.throws(() => parseCli(["--temp-dirs", "x", "./repo"]), /unknown option/);
  assert.throws(() => parseCli(["-x", "./repo"]), /unknown option/);
  // the table the parser is built from has no flag the list above (and so --help) lacks
  assert.deepEqual(Object.keys(OPTIONS).sort(), FLAGS.map((f) => f.long).sort());
});

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

Deno.test("mkrepo remove needs a PATH and a PATTERN; --keep takes a whole number", async () => {
  const r = await runCli(["remove", "/tmp/repo"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: .*remove needs at least one PATTERN/);
  assert.match(r.stderr, /hint: usage: mkrepo remove \[--dry-run\] \[options\] PATH PATTERN/);
  assert.deepEqual(parseCli(["remove", "/r", "hello", "b*"]).patterns, ["hello", "b*"]);
  assert.throws(() => parseCli(["--keep", "two", "/r"]), /--keep takes a whole number/);
  assert.throws(() => parseCli(["verify", "--keep", "2", "/r"]), /only applies to/);
});
