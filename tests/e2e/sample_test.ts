/**
 * The Quickstart's `deno task sample` (scripts/sample_repo.ts): it builds the sample Debian and
 * RPM repositories that real apt and dnf install from, prints how to point them there, and a
 * second run finds both up to date.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../_helpers/run_cli.ts";
import { spawnText } from "../_helpers/spawn.ts";
import { withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { V8_FLAGS } from "../../scripts/compile_plan.ts";

function sample(out: string) {
  return spawnText(Deno.execPath(), ["run", "-A", V8_FLAGS, "scripts/sample_repo.ts", out], {
    cwd: PROJECT_ROOT,
    env: { ...Deno.env.toObject(), NO_COLOR: "1" },
  });
}

Deno.test("deno task sample builds repositories apt and dnf install from; a second run is up to date", async () => {
  const out = await Deno.makeTempDir({ prefix: "mkrepo-sample-" });
  try {
    const first = await sample(out);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(first.stdout.includes(`file:${join(out, "deb")} all main`), first.stdout);
    assert.ok(first.stdout.includes(`baseurl=file://${join(out, "rpm")}`), first.stdout);

    await withApt(
      { sources: { uri: `file://${out}/deb/`, suite: "all", trusted: true } },
      async (apt) => {
        const update = await apt.update();
        assert.ok(update.ok, update.stdout + update.stderr);
        assert.equal(await apt.policy("hello"), "2.10-3");
      },
    );
    await withDnf({ repos: { baseurl: `file://${out}/rpm/` } }, async (dnf) => {
      const makecache = await dnf.makecache();
      assert.ok(makecache.ok, makecache.stdout + makecache.stderr);
      const names = (await dnf.repoquery()).map((p) => p.name).sort();
      assert.deepEqual(names, ["Rimmer", "tour"]);
    });

    const second = await sample(out);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /deb: up to date \(2 packages\)/);
    assert.match(second.stderr, /rpm: up to date \(2 packages\)/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
