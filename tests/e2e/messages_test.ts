/** What mkrepo tells a user on stderr reads as English: counts agree with their nouns. */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { withBackend } from "../_helpers/repo_backend.ts";
import { runCli } from "../_helpers/run_cli.ts";

for (const kind of ["deb", "rpm"] as const) {
  Deno.test(`mkrepo says "1 package" for a ${kind} repository of one package`, async () => {
    await withBackend("fs", async (repo) => {
      if (kind === "deb") await repo.put("pool/hello.deb", fixture("deb/hello_2.10-3_amd64.deb"));
      else await repo.put("Packages/tour.rpm", fixture("rpm/tour-4-6.noarch.rpm"));
      const first = await runCli([repo.path]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /: \w+ repository, 1 package \(1 added/);
      const again = await runCli([repo.path]);
      assert.match(again.stderr, /up to date \(1 package\)/);
      const verify = await runCli(["verify", repo.path]);
      assert.equal(verify.code, 0, verify.stderr);
      assert.match(verify.stderr, /, 1 package \(sizes\), 0 signatures/);
      const all = first.stderr + again.stderr + verify.stderr;
      assert.doesNotMatch(all, /\b1 (packages|files|signatures|index files|problems)\b|\(s\)/);
    });
  });
}
