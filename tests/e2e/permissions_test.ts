/**
 * mkrepo under the README's narrow Deno permission set, through the real entry point: a local
 * repository needs no more, and without --allow-ffi Packages.xz is skipped with one warning.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { PROJECT_ROOT } from "../_helpers/run_cli.ts";
import { spawnText } from "../_helpers/spawn.ts";
import { PROGRAM } from "../../scripts/compile_plan.ts";

const NARROW = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys=osRelease,homedir",
  "--allow-run=gpg",
];

/** Two Debian repositories holding one package each. */
async function twoRepos(dir: string): Promise<string[]> {
  const repos = [join(dir, "a"), join(dir, "b")];
  for (const repo of repos) {
    await Deno.mkdir(join(repo, "pool"), { recursive: true });
    await Deno.copyFile(fixture("deb/hello_2.10-3_amd64.deb"), join(repo, "pool/hello.deb"));
  }
  return repos;
}

function mkrepo(permissions: string[], args: string[]) {
  return spawnText(Deno.execPath(), [
    "run",
    ...permissions,
    "--no-prompt",
    "--quiet",
    "--config",
    PROJECT_ROOT + "deno.json",
    PROJECT_ROOT + PROGRAM,
    ...args,
  ]);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("without --allow-ffi, mkrepo skips Packages.xz with one warning naming the flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const repos = await twoRepos(dir);
    const r = await mkrepo(NARROW, ["--json", ...repos]);
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0], /Packages\.xz .*not written.*--allow-ffi/);
    assert.deepEqual(JSON.parse(r.stdout).repos.map((s: { kind: string }) => s.kind), [
      "deb",
      "deb",
    ]);
    for (const repo of repos) {
      const arch = join(repo, "dists/all/main/binary-amd64");
      assert.ok(await exists(join(arch, "Packages.gz")));
      assert.ok(!await exists(join(arch, "Packages.xz")));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with the README's narrow permission set, mkrepo writes Packages.xz and warns nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const repos = await twoRepos(dir);
    const r = await mkrepo([...NARROW, "--allow-ffi"], repos);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
    assert.ok(await exists(join(repos[0], "dists/all/main/binary-amd64/Packages.xz")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
