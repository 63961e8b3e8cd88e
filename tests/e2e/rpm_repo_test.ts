/**
 * RPM repositories end to end, on local disk and on S3 (moto), with the real dnf: what dnf
 * sees equals what it sees on createrepo_c's repository of the same packages; downloads are
 * checked; signed repodata is accepted with our key and refused with another; incremental
 * runs; malformed input.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture, fixtureNames } from "../_helpers/fixtures.ts";
import { BACKENDS, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { makeKeyPairs, runCli, runMkrepo } from "../_helpers/run_cli.ts";
import { type DnfPackage, withDnf } from "../_helpers/dnf.ts";
import { createrepo } from "../_helpers/reference_tools.ts";

const RPMS = fixtureNames("rpm", (n) => n.endsWith(".rpm") && !n.endsWith(".src.rpm"));

async function putAll(repo: RepoBackend, names: string[]) {
  for (const n of names) await repo.put(`Packages/${n}`, fixture(`rpm/${n}`));
}

/** What a user of dnf sees of a package (repo-independent fields). */
function view(p: DnfPackage) {
  return {
    nevra: p.nevra,
    provides: p.provides,
    requires: p.requires,
    requiresPre: p.requiresPre,
    recommends: p.recommends,
    suggests: p.suggests,
    supplements: p.supplements,
    enhances: p.enhances,
    conflicts: p.conflicts,
    obsoletes: p.obsoletes,
    files: p.files,
    checksum: p.checksum,
  };
}

/** createrepo_c's repository of the fixture rpms, as dnf sees it. */
async function referenceView(): Promise<ReturnType<typeof view>[]> {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-createrepo-" });
  try {
    await Deno.mkdir(join(dir, "Packages"));
    for (const n of RPMS) await Deno.copyFile(fixture(`rpm/${n}`), join(dir, "Packages", n));
    const r = await createrepo(dir);
    assert.equal(r.code, 0, r.stderr);
    return await withDnf({ repos: { baseurl: `file://${dir}` } }, async (dnf) => {
      assert.ok((await dnf.makecache()).ok);
      return (await dnf.repoquery()).map(view).sort((a, b) => a.nevra.localeCompare(b.nevra));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const reference = await referenceView();

for (const backend of BACKENDS) {
  Deno.test(`mkrepo (${backend}) builds a dnf repository equal to createrepo_c's for dnf`, async () => {
    await withBackend(backend, async (repo) => {
      await putAll(repo, RPMS);
      const r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.kind, "rpm");
      assert.equal(r.summary.packages, RPMS.length);
      await withDnf({ repos: { baseurl: repo.url } }, async (dnf) => {
        const m = await dnf.makecache();
        assert.ok(m.ok, m.stdout + m.stderr);
        const ours = (await dnf.repoquery()).map(view).sort((a, b) =>
          a.nevra.localeCompare(b.nevra)
        );
        assert.deepEqual(ours, reference);
        for (const p of ours) {
          const file = await dnf.download(p.nevra);
          assert.ok(file.endsWith(".rpm"), file);
        }
      });
      const check = await runCli(["verify", "--deep", ...repo.args, repo.path]);
      assert.equal(check.code, 0, check.stderr);
    });
  });

  Deno.test(`mkrepo (${backend}) signs repomd.xml so dnf accepts our key and refuses another`, async () => {
    const keys = await Deno.makeTempDir({ prefix: "mkrepo-keys-" });
    try {
      await makeKeyPairs(keys, ["good", "other"]);
      await withBackend(backend, async (repo) => {
        await putAll(repo, ["tour-4-6.noarch.rpm", "Rimmer-1.0.2-2.x86_64.rpm"]);
        const r = await runMkrepo(repo, [
          "--sign-key-file",
          join(keys, "good.key"),
          "--public-key",
          "key.asc",
        ]);
        assert.equal(r.code, 0, r.stderr);
        await withDnf({
          repos: { baseurl: repo.url, repoGpgcheck: true, gpgkey: join(keys, "good.asc") },
        }, async (dnf) => {
          const m = await dnf.makecache();
          assert.ok(m.ok, m.stdout + m.stderr);
          assert.equal((await dnf.repoquery()).length, 2);
        });
        await withDnf({
          repos: { baseurl: repo.url, repoGpgcheck: true, gpgkey: join(keys, "other.asc") },
        }, async (dnf) => {
          const m = await dnf.makecache();
          assert.ok(!m.ok, "dnf must refuse repodata signed by another key");
        });
        const good = await runCli([
          "verify",
          "--key",
          join(keys, "good.asc"),
          ...repo.args,
          repo.path,
        ]);
        assert.equal(good.code, 0, good.stderr);
        const bad = await runCli([
          "verify",
          "--key",
          join(keys, "other.asc"),
          ...repo.args,
          repo.path,
        ]);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /signature does not verify/);
      });
    } finally {
      await Deno.remove(keys, { recursive: true });
    }
  });

  Deno.test(`mkrepo (${backend}) reads only new and changed rpms and dnf sees each new set`, async () => {
    await withBackend(backend, async (repo) => {
      await putAll(repo, [
        "tour-4-5.noarch.rpm",
        "Archer-3.4.5-6.x86_64.rpm",
        "Rimmer-1.0.2-2.x86_64.rpm",
      ]);
      let r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.read, 3);

      r = await runMkrepo(repo);
      assert.equal(r.summary.read, 0);
      assert.equal(r.summary.bytesRead, 0);
      assert.deepEqual(r.summary.written, []);

      await putAll(repo, ["tour-4-6.noarch.rpm"]); // add one
      await repo.remove("Packages/Archer-3.4.5-6.x86_64.rpm"); // remove one
      // replace one: other bytes under the same name
      await repo.put("Packages/Rimmer-1.0.2-2.x86_64.rpm", fixture("rpm/hello-1.0-1.i386.rpm"));
      r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([r.summary.added, r.summary.removed, r.summary.changed, r.summary.read], [
        1,
        1,
        1,
        2,
      ]);
      await withDnf({ repos: { baseurl: repo.url } }, async (dnf) => {
        assert.ok((await dnf.makecache()).ok);
        const nevras = (await dnf.repoquery()).map((p) => p.nevra).sort();
        assert.deepEqual(nevras, ["hello-1.0-1.i386", "tour-4-5.noarch", "tour-4-6.noarch"]);
      });
    });
  });
}

for (const bad of fixtureNames("bad", (n) => n.endsWith(".rpm"))) {
  Deno.test(`mkrepo fails on malformed ${bad}, naming it, and skips it with --force`, async () => {
    await withBackend("fs", async (repo) => {
      await putAll(repo, ["tour-4-6.noarch.rpm"]);
      assert.equal((await runMkrepo(repo)).code, 0);
      const before = await repo.readText("repodata/repomd.xml");
      await repo.put(`Packages/${bad}`, fixture(`bad/${bad}`));
      const r = await runMkrepo(repo);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(bad.replace(/[.+]/g, "\\$&")));
      assert.equal(await repo.readText("repodata/repomd.xml"), before, "repository untouched");
      const f = await runMkrepo(repo, ["--force"]);
      assert.equal(f.code, 0, f.stderr);
      assert.deepEqual(f.summary.malformed, [`Packages/${bad}`]);
      assert.equal((await repo.readText("repodata/malformed_list.txt"))?.trim(), `Packages/${bad}`);
      assert.equal((await runCli(["verify", repo.path])).code, 0);
    });
  });
}
