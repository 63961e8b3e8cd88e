/**
 * Retention racing an upload on S3 (moto): in each round one job uploads a new version of a
 * package whose older versions retention drops (`--keep 2`, grace 0: dropped files are deleted
 * by the run that drops them), while another job uploads a new package; both run mkrepo (real
 * subprocesses) at once. Whatever the interleaving, every added package is in the final index
 * and its file exists, exactly the two newest versions stay, and no index names a deleted file.
 */
import assert from "node:assert/strict";
import { indexedKeys, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { makeDeb } from "../unit/reader/_make_deb.ts";
import { verifyRepository } from "../../src/repo/verify.ts";

const ROUNDS = 10;

async function putDeb(repo: RepoBackend, name: string, version: string): Promise<string> {
  const key = `pool/main/${name[0]}/${name}_${version}_amd64.deb`;
  const control = `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\n` +
    `Maintainer: A <a@example.org>\nDescription: ${name}\n version ${version}\n`;
  await repo.storage.write(key, makeDeb({ control }));
  return key;
}

function mkrepo(repo: RepoBackend, args: string[] = []) {
  return runCli([...repo.args, ...args, repo.path]);
}

Deno.test(`retention racing an upload, ${ROUNDS} rounds on S3: the added package is indexed and its file exists`, async () => {
  await withBackend("s3", async (repo) => {
    const hello = [await putDeb(repo, "hello", "1"), await putDeb(repo, "hello", "2")];
    const first = await mkrepo(repo, ["--keep", "2", "--grace", "0"]);
    assert.equal(first.code, 0, first.stderr);
    const added: string[] = [];
    let retries = 0;
    let skipped = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const retention = async () => {
        hello.push(await putDeb(repo, "hello", String(round + 2)));
        return await mkrepo(repo);
      };
      const upload = async () => {
        added.push(await putDeb(repo, `add${round}`, "1.0"));
        return await mkrepo(repo);
      };
      const [a, b] = await Promise.all([retention(), upload()]);
      assert.equal(a.code, 0, `round ${round}, retention:\n${a.stderr}`);
      assert.equal(b.code, 0, `round ${round}, upload:\n${b.stderr}`);
      retries += [a, b].filter((r) => /Another run published/.test(r.stderr)).length;
      skipped += [a, b].filter((r) => /deleted by a later run/.test(r.stderr)).length;
      const indexed = await indexedKeys(repo.storage, "deb");
      for (const key of added) {
        assert.ok(indexed.includes(key), `round ${round}: ${key} indexed`);
        assert.ok(await repo.storage.stat(key), `round ${round}: ${key} exists`);
      }
      assert.deepEqual(
        indexed.filter((k) => k.includes("/hello_")),
        hello.slice(-2).sort(),
        `round ${round}: the two newest hello versions`,
      );
      const report = await verifyRepository(repo.storage, "test");
      assert.deepEqual(report.problems, [], `round ${round}: every indexed file exists`);
    }
    console.log(
      `${ROUNDS} rounds: ${retries} runs lost a race and merged, ${skipped} left their ` +
        "package deletions to a later run",
    );
    // A deletion skipped because the other run published meanwhile is done by a later run.
    const last = await mkrepo(repo);
    assert.equal(last.code, 0, last.stderr);
    const left = (await repo.keys("pool/")).filter((k) => k.includes("/hello_"));
    assert.deepEqual(left, hello.slice(-2).sort());
  });
});
