/**
 * `mkrepo-inputs.json`: an unchanged Debian run trusts the digest of its inputs only as far as
 * the published files bear it out. On local disk (fs) and S3, with real apt: a damaged index
 * under a matching record is republished, a package uploaded again is read again, a changed
 * Release field is written, and a lost record is written back once, by a run that finds the
 * repository up to date.
 */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { runCli, runMkrepo } from "../_helpers/run_cli.ts";
import { withApt } from "../_helpers/apt.ts";
import { BACKENDS, withBackend } from "../_helpers/repo_backend.ts";
import { readAll } from "../../src/storage/storage.ts";

const HELLO = "hello_2.10-3_amd64.deb";
const NETBASE = "netbase_6.4_all.deb";
const INPUTS = "mkrepo-inputs.json";
const PACKAGES = "dists/all/main/binary-amd64/Packages";

for (const backend of BACKENDS) {
  Deno.test(`mkrepo (${backend}): an unchanged run checks what mkrepo-inputs.json vouches for`, async () => {
    await withBackend(backend, async (repo) => {
      await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
      await repo.put(`pool/main/${NETBASE}`, fixture(`deb/${NETBASE}`));
      const first = await runMkrepo(repo);
      assert.equal(first.code, 0, first.stderr);
      assert.ok(first.summary.written.includes(INPUTS));

      const same = await runMkrepo(repo);
      assert.equal(same.code, 0, same.stderr);
      assert.equal(same.summary.upToDate, true);
      assert.equal(same.summary.packages, 2);
      assert.deepEqual(same.summary.written, []);

      // The same size, other bytes: the record still matches, the index does not.
      const published = new TextDecoder().decode(await readAll(repo.storage, PACKAGES));
      const damaged = published.replace("Package: hello", "Package: jello");
      assert.notEqual(damaged, published);
      await repo.storage.write(PACKAGES, damaged, { contentType: "text/plain" });
      const repaired = await runMkrepo(repo);
      assert.equal(repaired.code, 0, repaired.stderr);
      assert.equal(repaired.summary.upToDate, false);
      assert.ok(repaired.summary.written.includes(PACKAGES), repaired.summary.written);
      assert.equal(
        new TextDecoder().decode(await readAll(repo.storage, PACKAGES)),
        published,
      );

      // Uploaded again (a new modification time): read again.
      await new Promise((r) => setTimeout(r, 1100));
      await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
      const again = await runMkrepo(repo);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(again.summary.changedKeys, [`pool/main/${HELLO}`]);
      assert.equal(again.summary.read, 1);

      // A Release field the user sets is not in the digest: it is checked against Release.
      const origin = await runMkrepo(repo, ["--deb-origin", "Example"]);
      assert.equal(origin.code, 0, origin.stderr);
      assert.match((await repo.readText("dists/all/Release"))!, /^Origin: Example$/m);

      // A lost record: the indexes are read, nothing else changes, the record comes back.
      await repo.remove(INPUTS);
      const lost = await runMkrepo(repo);
      assert.equal(lost.code, 0, lost.stderr);
      assert.equal(lost.summary.upToDate, true);
      assert.deepEqual(lost.summary.written, [INPUTS]);
      const dry = await runMkrepo(repo, ["--dry-run"]);
      assert.deepEqual(dry.summary.written, []);

      const verify = await runCli(["verify", ...repo.args, repo.path]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      await withApt({
        sources: { uri: repo.url, suite: "all", components: ["main"], trusted: true },
      }, async (apt) => {
        const u = await apt.update();
        assert.ok(u.ok, u.stdout + u.stderr);
        assert.equal(await apt.policy("hello"), "2.10-3");
        await apt.download("netbase");
      });
    });
  });
}
