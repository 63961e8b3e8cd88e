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
import { hooked } from "../_helpers/hooked_storage.ts";
import { type UpdateOptions, updateRepository } from "../../src/repo/update.ts";
import { silentEvents } from "../../src/repo/run_types.ts";
import { createFsStorage } from "../../src/storage/fs_storage.ts";
import { readAll, type Storage } from "../../src/storage/storage.ts";
import { removePattern } from "../../src/plan/remove_patterns.ts";
import { CLEANUP_KEY } from "../../src/record/cleanup_record.ts";

const ROUNDS = 10;

async function putDeb(
  repo: Pick<RepoBackend, "storage">,
  name: string,
  version: string,
): Promise<string> {
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

/**
 * A run that listed before `mkrepo remove` published must not put the removed package back:
 * its cleanup record (without the pending file) would replace the removal's, so the record is
 * written only if it is still the one the run listed, and the run starts over otherwise.
 */
Deno.test("a run that listed before a removal published does not bring the removed package back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-remove-race-" });
  try {
    const storage = createFsStorage(dir);
    const repo = { storage };
    const update = (s: Storage, options: Partial<UpdateOptions> = {}) =>
      updateRepository(s, { path: dir, events: silentEvents, ...options });
    const bad = await putDeb(repo, "hello", "1");
    await putDeb(repo, "hello", "2");
    await update(storage);
    const added = await putDeb(repo, "extra", "1");
    const runA = hooked(storage, (op) => op === "listed", async () => {
      await update(storage, { remove: [removePattern(bad)] }); // run B, from listing to cleanup
    });
    await update(runA);
    assert.ok(runA.fired, "the removal ran");
    const indexed = await indexedKeys(storage, "deb");
    assert.ok(indexed.includes(added), "run A's package is indexed");
    assert.ok(!indexed.includes(bad), "the removed package stays out");
    const record = JSON.parse(new TextDecoder().decode(await readAll(storage, CLEANUP_KEY)));
    assert.equal(record.packages[bad].reason, "removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
