/**
 * `deno task bench` in its smallest configuration (N=20, one timed run, no S3, no 2 GiB
 * packages): proves the script generates a corpus, runs the kit's reference rows and mkrepo's
 * cases, and prints a complete table. No timing is asserted.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../_helpers/run_cli.ts";

Deno.test({
  name: "deno task bench: N=20, 1 run, local cases, every row filled",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mkrepo-bench-smoke-" });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "scripts/bench.ts",
          "--n",
          "20",
          "--runs",
          "1",
          "--no-s3",
          "--corpus",
          join(dir, "n20"),
        ],
        cwd: PROJECT_ROOT,
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, `bench failed (exit ${out.code}):\n${stderr.slice(-3000)}`);
      assert.match(stdout, /^## mkrepo benchmark: N=20/m);
      assert.match(
        stdout,
        /^\| case \| mkrepo median s \| reference median s \| ratio \(target\) \|/m,
      );
      const rows = new Map<string, string[]>();
      for (const line of stdout.split("\n")) {
        if (!line.startsWith("| ") || line.startsWith("| case ")) continue;
        const cells = line.slice(2, -2).split(" | ");
        rows.set(cells[0], cells);
      }
      const number = /^[0-9]+(\.[0-9]+)?( ms)?$/;
      for (
        const name of ["rpm", "deb"].flatMap((
          k,
        ) => [`${k} fresh`, `${k} add one`, `${k} unchanged`])
      ) {
        const row = rows.get(name);
        assert.ok(row, `no row for ${name}:\n${stdout}`);
        assert.match(row[1], number, `mkrepo time of ${name}: ${row.join(" | ")}`);
        assert.match(row[2], number, `reference time of ${name}: ${row.join(" | ")}`);
        assert.match(row[3], /^[0-9.]+× \(≤ [0-9.]+× [✓✗]\)$/, `ratio of ${name}`);
        assert.match(row[4], /^[0-9]+ [✓✗]$/, `RSS of ${name}`);
        // Sampled from /proc while mkrepo runs: a real figure, below its peak RSS.
        assert.match(row[5], /^[0-9]+$/, `private memory of ${name}`);
        assert.ok(
          Number(row[5]) > 0 && Number(row[5]) < Number(row[4].split(" ")[0]),
          `private memory of ${name}: ${row.join(" | ")}`,
        );
        assert.doesNotMatch(row[7], /failed/, `${name}: ${row[7]}`);
      }
      const version = rows.get("mkrepo --version");
      assert.ok(version, "no --version row");
      assert.match(version[1], /^[0-9]+ ms$/);
      assert.match(version[2], /^[0-9]+ ms$/, "the paired one-line run");
      assert.match(version[3], /^[0-9.]+× \(≤ 1\.5× [✓✗]\)$/);
      assert.ok(!rows.has("s3 rpm fresh"), "S3 cases ran despite --no-s3");
      // The work copies are removed; the generated corpus stays where it was asked for.
      assert.ok(await Deno.stat(join(dir, "n20", "SHA256SUMS")));
      await assert.rejects(Deno.stat(join(dir, "n20", ".mkrepo-bench")));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
