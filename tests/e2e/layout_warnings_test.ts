/**
 * Layouts that mkrepo builds differently from what the user may expect say so on stderr: a PATH
 * holding both pool/ and Packages/, and a pool/<dist>/<component>/ folder whose component is
 * not declared (it goes to dist "all").
 */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { withBackend } from "../_helpers/repo_backend.ts";
import { runMkrepo } from "../_helpers/run_cli.ts";

function warnings(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("warning:"));
}

Deno.test("a PATH with both pool/ and Packages/ builds the Debian side and warns, naming both", async () => {
  await withBackend("fs", async (repo) => {
    await repo.put(
      "pool/main/h/hello/hello_2.10-3_amd64.deb",
      fixture("deb/hello_2.10-3_amd64.deb"),
    );
    await repo.put("Packages/tour-4-6.noarch.rpm", fixture("rpm/tour-4-6.noarch.rpm"));
    const r = await runMkrepo(repo);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary.kind, "deb");
    const [w, ...rest] = warnings(r.stderr);
    assert.match(w ?? "", /both pool\/ .*and Packages\/.*only the Debian repository/);
    assert.match(w, /Packages\/ .*(not indexed|ignored)/);
    assert.deepEqual(rest, []);
    assert.equal(await repo.readText("repodata/repomd.xml"), undefined);
  });
});

Deno.test("pool/<dist>/contrib/ without --deb-components warns once per folder, naming the flag", async () => {
  await withBackend("fs", async (repo) => {
    await repo.put(
      "pool/stable/main/h/hello_2.10-3_amd64.deb",
      fixture("deb/hello_2.10-3_amd64.deb"),
    );
    await repo.put("pool/stable/contrib/n/netbase_6.4_all.deb", fixture("deb/netbase_6.4_all.deb"));
    await repo.put(
      "pool/stable/contrib/a/apticron_1.2.5+nmu1_all.deb",
      fixture("deb/apticron_1.2.5+nmu1_all.deb"),
    );
    // Debian's own layout (pool/<component>/<letter>/...) is not a stray component.
    await repo.put(
      "pool/main/l/liblz4-1_1.9.4-1_amd64.deb",
      fixture("deb/liblz4-1_1.9.4-1_amd64.deb"),
    );
    const r = await runMkrepo(repo);
    assert.equal(r.code, 0, r.stderr);
    const [w, ...rest] = warnings(r.stderr);
    assert.match(w ?? "", /pool\/stable\/contrib\/.* dist "all"/);
    assert.match(w, /--deb-components main,contrib/);
    assert.deepEqual(rest, []);

    // With the flag the folder is indexed as declared; later runs remember it from the Release.
    const declared = await runMkrepo(repo, ["--deb-components", "main,contrib"]);
    assert.equal(declared.code, 0, declared.stderr);
    assert.deepEqual(warnings(declared.stderr), []);
    assert.match((await repo.readText("dists/stable/Release"))!, /^Components: contrib main$/m);
    const again = await runMkrepo(repo);
    assert.deepEqual(warnings(again.stderr), []);
  });
});
