/** `--dry-run` reads and plans everything, prints the plan, and writes nothing. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { runCli } from "../_helpers/run_cli.ts";

async function listAll(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await listAll(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

for (const kind of ["deb", "rpm"] as const) {
  Deno.test(`mkrepo --dry-run on a ${kind} repository writes nothing and prints the plan`, async () => {
    const root = await Deno.makeTempDir({ prefix: "mkrepo-dry-" });
    try {
      const [dir, file] = kind === "deb"
        ? ["pool/main", "deb/hello_2.10-3_amd64.deb"]
        : ["Packages", "rpm/tour-4-6.noarch.rpm"];
      await Deno.mkdir(join(root, dir), { recursive: true });
      await Deno.copyFile(fixture(file), join(root, dir, file.split("/")[1]));
      const before = await listAll(root);
      const r = await runCli(["--dry-run", "--json", root]);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout).repos[0];
      assert.equal(summary.dryRun, true);
      assert.equal(summary.read, 1);
      assert.ok(summary.written.length > 0);
      for (const key of summary.written) assert.match(r.stderr, new RegExp(`would write ${key}`));
      assert.deepEqual(await listAll(root), before);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}
