/**
 * Files no index names are deleted once they have been unreferenced for the grace period, and
 * not before: leftovers of the original mkrepo (`binary-all/`, `.bz2`), createrepo_c's sqlite
 * files once repomd.xml no longer names them, older generations' indexes and by-hash copies.
 * The previous generation always stays whole, and nothing outside `dists/` and `repodata/` is
 * touched. The real CLI on local disk and S3 (moto), checked with verify and apt.
 */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runMkrepo } from "../_helpers/run_cli.ts";
import { requireTool, run } from "../_helpers/reference_tools.ts";
import { withApt } from "../_helpers/apt.ts";
import { verifyRepository } from "../../src/repo/verify.ts";
import { createFsStorage } from "../../src/storage/fs_storage.ts";

const LEFTOVERS = [
  "dists/all/main/binary-all/Packages",
  "dists/all/main/binary-all/Packages.gz",
  "dists/all/main/binary-amd64/Packages.bz2",
  "dists/all/main/by-hash/SHA256/0000000000000000000000000000000000000000000000000000000000000000",
];

async function mkrepo(repo: RepoBackend, args: string[] = []) {
  const r = await runMkrepo(repo, args);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

async function verified(repo: RepoBackend, what: string) {
  const report = await verifyRepository(repo.storage, "test");
  assert.deepEqual(report.problems, [], what);
  assert.deepEqual(report.unreferenced, [], `${what}: every file is named or pending`);
}

for (const backend of ["fs", "s3"] as const) {
  Deno.test(`deb (${backend}): leftovers under dists/ go after the grace period, not before`, async () => {
    await withBackend(backend, async (repo) => {
      await repo.put(
        "pool/main/h/hello/hello_2.10-3_amd64.deb",
        fixture("deb/hello_2.10-3_amd64.deb"),
      );
      await mkrepo(repo);
      const note = fixture("MANIFEST.tsv");
      for (const key of LEFTOVERS) await repo.put(key, note);
      await repo.put("notes/README", note); // outside dists/: never touched

      // Default grace (1 h): recorded as unreferenced, kept.
      await mkrepo(repo);
      const record = JSON.parse((await repo.readText("mkrepo-cleanup.json"))!);
      assert.deepEqual(Object.keys(record.unreferenced).sort(), [...LEFTOVERS].sort());
      for (const key of LEFTOVERS) assert.ok(await repo.readText(key), `${key} kept in grace`);
      await verified(repo, "during the grace");

      // A run past the grace (grace 0) deletes them and the record; the grace is recorded.
      const r = await mkrepo(repo, ["--grace", "0"]);
      assert.deepEqual([...r.summary.deleted].sort(), [...LEFTOVERS, "mkrepo-cleanup.json"].sort());
      for (const key of LEFTOVERS) assert.equal(await repo.readText(key), undefined, key);
      assert.equal(await repo.readText("mkrepo-cleanup.json"), undefined);
      assert.ok(await repo.readText("notes/README"));
      assert.equal(JSON.parse((await repo.readText("mkrepo.json"))!).graceSeconds, 0);
      await verified(repo, "after the cleanup");
      const again = await mkrepo(repo);
      assert.equal(again.summary.upToDate, true);
      assert.deepEqual(again.summary.written, []);
    });
  });
}

Deno.test("deb: a client holding the previous index gets everything it names during the grace; the files go after it", async () => {
  await withBackend("fs", async (repo) => {
    const byHash = async () => (await repo.keys("dists/")).filter((k) => k.includes("/by-hash/"));
    await repo.put(
      "pool/main/h/hello/hello_2.10-3_amd64.deb",
      fixture("deb/hello_2.10-3_amd64.deb"),
    );
    await mkrepo(repo);
    const gen1 = await byHash();
    await withApt({ sources: { uri: repo.url, suite: "all", trusted: true } }, async (apt) => {
      assert.ok((await apt.update()).ok);
      const held = await apt.listPackages();
      // Generation 2 is published (default grace, one hour) while the client holds generation
      // 1's index: generation 1's files stay, recorded as unreferenced since now.
      await repo.put("pool/main/n/netbase/netbase_6.4_all.deb", fixture("deb/netbase_6.4_all.deb"));
      await mkrepo(repo);
      for (const key of gen1) assert.ok(await repo.readText(key), `${key} kept in the grace`);
      for (const p of held) assert.ok((await apt.download(p.package)).endsWith(".deb"));
    });
    const record = JSON.parse((await repo.readText("mkrepo-cleanup.json"))!);
    const recorded = Object.keys(record.unreferenced);
    assert.ok(recorded.length > 0 && recorded.every((k) => gen1.includes(k)), "gen 1's files");
    // Past the grace (here: grace 0), they go; what generation 2 names stays.
    const r = await mkrepo(repo, ["--grace", "0"]);
    const now = new Set(await byHash());
    for (const key of recorded) assert.ok(!now.has(key), `${key} deleted`);
    assert.ok(r.summary.deleted.includes(recorded[0]));
    await verified(repo, "after the cleanup");
    await withApt({ sources: { uri: repo.url, suite: "all", trusted: true } }, async (apt) => {
      assert.ok((await apt.update()).ok);
      assert.ok((await apt.download("netbase")).endsWith(".deb"));
    });
  });
});

Deno.test("rpm: createrepo_c's sqlite files go once repomd.xml no longer names them and the grace is over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-cleanup-" });
  try {
    await Deno.mkdir(`${dir}/Packages`);
    await Deno.copyFile(fixture("rpm/tour-4-6.noarch.rpm"), `${dir}/Packages/tour-4-6.noarch.rpm`);
    const r = await run(requireTool("createrepo_c"), [dir]); // with its sqlite databases
    assert.equal(r.code, 0, r.stderr);
    const storage = createFsStorage(dir);
    const repodata = async () =>
      (await Array.fromAsync(storage.list("repodata/"))).map((o) => o.key).sort();
    const sqlite = (await repodata()).filter((k) => k.includes("sqlite"));
    assert.ok(sqlite.length > 0, "createrepo_c wrote sqlite files");
    const repo = { path: dir, args: [] };
    await Deno.copyFile(fixture("rpm/tour-4-5.noarch.rpm"), `${dir}/Packages/tour-4-5.noarch.rpm`);
    const first = await runMkrepo(repo);
    assert.equal(first.code, 0, first.stderr);
    for (const key of sqlite) assert.ok((await repodata()).includes(key), `${key} kept in grace`);
    const second = await runMkrepo(repo, ["--grace", "0"]);
    assert.equal(second.code, 0, second.stderr);
    const left = await repodata();
    for (const key of sqlite) assert.ok(!left.includes(key), `${key} deleted`);
    // Nothing under repodata/ is unreferenced but the previous generation's files.
    const repomd = await Deno.readTextFile(`${dir}/repodata/repomd.xml`);
    const named = [...repomd.matchAll(/<location href="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(named.every((k) => left.includes(k)));
    const report = await verifyRepository(storage, dir);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.unreferenced, [], "no sqlite file or other leftover");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
