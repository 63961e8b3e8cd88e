/**
 * scripts/fuzz.ts in a small, fixed configuration, so CI proves the fuzzer runs and the readers
 * survive its cases; and the harness itself shown to catch each kind of failure (a non-Mkrepo
 * error, an asynchronous hang, a synchronous hang) with a replay line. The full run is
 * `deno task fuzz` (a few thousand cases, random seed).
 */
import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../_helpers/run_cli.ts";

async function fuzz(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", PROJECT_ROOT + "scripts/fuzz.ts", ...args],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The numbers of one row of the summary table ("deb", "total"...). */
function row(stdout: string, name: string): number[] {
  const line = stdout.split("\n").find((l) => l.startsWith(name + " "));
  assert.ok(line, `no "${name}" row in:\n${stdout}`);
  return line.trim().split(/\s+/).slice(1).map(Number);
}

Deno.test("fuzz: 500 mutated fixtures (fixed seed) end in a record or a MkrepoError, no hang", async () => {
  const r = await fuzz(["--cases", "500", "--seed", "11", "--time-limit", "5000"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [cases, ok, malformed, failures] = row(r.stdout, "total");
  assert.deepEqual([cases, failures], [500, 0]);
  assert.equal(ok + malformed, 500);
  for (const reader of ["deb", "dsc", "rpm"]) {
    const [n, readerOk, readerMalformed] = row(r.stdout, reader);
    assert.ok(n > 0 && readerMalformed > 0, `${reader}: ${n} cases`);
    if (reader !== "dsc") assert.ok(readerOk > 0, `${reader}: no case read fine`);
  }
  for (const mutation of ["truncate", "flip", "ar-size", "tar-size", "rpm-count", "rpm-entry"]) {
    assert.ok(row(r.stdout, mutation)[0] > 0, `mutation ${mutation} never ran`);
  }
  assert.match(r.stdout, /^seed 11, 500 cases in [\d.]+ s, max RSS \d+ MiB/m);
});

for (
  const [inject, message] of [
    ["error:2", /not a MkrepoError: TypeError: injected/],
    ["hang:3", /no result after 500 ms \(hang\)/],
    ["sync-hang:4", /the worker stopped answering .*synchronous hang/],
  ] as const
) {
  Deno.test(`fuzz: the harness reports an injected ${inject.split(":")[0]} with a replay line`, async () => {
    const r = await fuzz([
      "--cases",
      "8",
      "--seed",
      "5",
      "--time-limit",
      "500",
      "--inject",
      inject,
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const at = inject.split(":")[1];
    // every case is counted exactly once: the injected one as the only failure, the 7 others as
    // a record or a MkrepoError; and the per-reader rows add up to the total row
    const [cases, ok, malformed, failures] = row(r.stdout, "total");
    assert.deepEqual([cases, failures, ok + malformed], [8, 1, 7]);
    const readers = ["deb", "dsc", "rpm"].map((name) => row(r.stdout, name));
    assert.deepEqual(
      [0, 1, 2, 3].map((c) => readers.reduce((sum, cols) => sum + cols[c], 0)),
      [cases, ok, malformed, failures],
    );
    assert.match(
      r.stdout,
      new RegExp(`^FAILURE case ${at}: \\S+ \\((deb|dsc|rpm)\\), mutation `, "m"),
    );
    assert.match(r.stdout, message);
    assert.match(r.stdout, new RegExp(`replay: deno task fuzz --seed 5 --case ${at}$`, "m"));
  });
}
