/**
 * Package lifecycle with the real CLI and real clients: `--keep N` leaves exactly the N newest
 * versions (dpkg's order, rpm's with epochs) in what apt and dnf list; the dropped files stay
 * for the grace period, so a client holding the previous index downloads all it names, and go
 * after it; `--keep-days` never drops the newest; `mkrepo remove` with and without --dry-run;
 * the settings are recorded and can be turned off; verify reports unreferenced and missing files.
 */
import assert from "node:assert/strict";
import { type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runCli, runMkrepo } from "../_helpers/run_cli.ts";
import { withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { makeDeb } from "../unit/reader/_make_deb.ts";
import { buildRpm, t } from "../unit/rpm/rpm_builder.ts";
import { Tag } from "../../src/reader/rpm/tags.ts";
import { verifyRepository } from "../../src/repo/verify.ts";

/** Five versions whose string order differs from dpkg's (newest: 1:0.9-1, then 1.0-10). */
const HELLO = ["1.0-1", "1.0-2", "1.0-10", "1.0~rc1-1", "1:0.9-1"];
/** Five versions of an `Architecture: all` package (newest: 10.0, then 9.0). */
const DOC = ["2.0", "2.0+b1", "10.0", "9.0", "2.0~beta"];
/** Five rpm EVRs whose epochs outrank their strings (newest: 2:0.1-1, then 1:0.5-1). */
const TOOL = ["0:1.0-1", "0:2.0-1", "1:0.5-1", "0:10-1", "2:0.1-1"];

const debKey = (name: string, version: string, arch: string) =>
  `pool/main/${name[0]}/${name}_${version.replace(/^\d+:/, "")}_${arch}.deb`;

async function putDeb(repo: RepoBackend, name: string, version: string, arch = "amd64") {
  const control = `Package: ${name}\nVersion: ${version}\nArchitecture: ${arch}\n` +
    `Maintainer: A <a@example.org>\nDescription: ${name}\n version ${version}\n`;
  const file = await Deno.makeTempFile({ suffix: ".deb" });
  try {
    await Deno.writeFile(file, makeDeb({ control, data: new TextEncoder().encode(version) }));
    await repo.put(debKey(name, version, arch), file);
  } finally {
    await Deno.remove(file);
  }
  return debKey(name, version, arch);
}

const rpmKey = (evr: string) => `Packages/tool-${evr.replace(":", "_")}.x86_64.rpm`;

async function putRpm(repo: RepoBackend, evr: string) {
  const [, epoch, version, release] = /^(\d+):(.+)-(.+)$/.exec(evr)!;
  const bytes = buildRpm({
    header: [
      [Tag.NAME, t.s("tool")],
      [Tag.VERSION, t.s(version)],
      [Tag.RELEASE, t.s(release)],
      [Tag.EPOCH, t.i32([Number(epoch)])],
      [Tag.ARCH, t.s("x86_64")],
      [Tag.SUMMARY, t.i18n(`tool ${evr}`)],
    ],
  });
  const file = await Deno.makeTempFile({ suffix: ".rpm" });
  try {
    await Deno.writeFile(file, bytes);
    await repo.put(rpmKey(evr), file);
  } finally {
    await Deno.remove(file);
  }
  return rpmKey(evr);
}

async function mkrepo(repo: RepoBackend, args: string[] = []) {
  const r = await runMkrepo(repo, args);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

async function exists(repo: RepoBackend, key: string) {
  return (await repo.storage.stat(key)) !== undefined;
}

const sorted = (l: Iterable<string>) => [...l].sort();
/** The package files among deleted keys (a run past the grace also deletes old metadata). */
const packageFiles = (keys: string[]) =>
  keys.filter((k) => k.startsWith("pool/") || k.startsWith("Packages/"));

for (const backend of ["fs", "s3"] as const) {
  Deno.test(`deb (${backend}): --keep 2 leaves the two newest in apt; a client holding the previous index downloads every package it names in the grace; the files go after it`, async () => {
    await withBackend(backend, async (repo) => {
      const keys = [
        ...await Promise.all(HELLO.map((v) => putDeb(repo, "hello", v))),
        ...await Promise.all(DOC.map((v) => putDeb(repo, "doc", v, "all"))),
      ];
      await mkrepo(repo);
      const dropped = [
        debKey("hello", "1.0-1", "amd64"),
        debKey("hello", "1.0-2", "amd64"),
        debKey("hello", "1.0~rc1-1", "amd64"),
        debKey("doc", "2.0", "all"),
        debKey("doc", "2.0+b1", "all"),
        debKey("doc", "2.0~beta", "all"),
      ];
      const source = { uri: repo.url, suite: "all", trusted: true };
      await withApt({ sources: source }, async (apt) => {
        assert.ok((await apt.update()).ok);
        const held = await apt.listPackages();
        assert.equal(held.length, 10);

        const r = await mkrepo(repo, ["--keep", "2"]);
        assert.deepEqual(sorted(r.summary.droppedKeys), sorted(dropped));
        assert.equal(r.summary.dropped, 6);
        assert.deepEqual(r.summary.deleted, []);
        for (const key of keys) assert.ok(await exists(repo, key), `${key} kept in the grace`);
        // The client still holds the previous index: every package it names downloads.
        for (const p of held) {
          assert.ok((await apt.download(`${p.package}=${p.version}`)).endsWith(".deb"));
        }
      });
      await withApt({ sources: source }, async (apt) => {
        assert.ok((await apt.update()).ok);
        const listed = (await apt.listPackages()).map((p) => `${p.package} ${p.version}`);
        assert.deepEqual(sorted(listed), ["doc 10.0", "doc 9.0", "hello 1.0-10", "hello 1:0.9-1"]);
      });
      const settings = JSON.parse((await repo.readText("mkrepo.json"))!);
      assert.equal(settings.keep, 2);
      const pending = JSON.parse((await repo.readText("mkrepo-cleanup.json"))!).packages;
      assert.deepEqual(sorted(Object.keys(pending)), sorted(dropped));
      const report = await verifyRepository(repo.storage, "test");
      assert.deepEqual([report.problems, report.unreferenced], [[], []]);

      // A run within the grace changes nothing; one past it (grace 0) deletes the dropped files.
      assert.equal((await mkrepo(repo)).summary.upToDate, true);
      const past = await mkrepo(repo, ["--grace", "0"]);
      assert.deepEqual(sorted(packageFiles(past.summary.deleted)), sorted(dropped));
      for (const key of keys) {
        assert.equal(await exists(repo, key), !dropped.includes(key), key);
      }
      await withApt({ sources: source }, async (apt) => {
        assert.ok((await apt.update()).ok);
        assert.equal((await apt.listPackages()).length, 4);
        assert.ok((await apt.download("hello")).endsWith(".deb"));
      });
      const after = await verifyRepository(repo.storage, "test");
      assert.deepEqual([after.problems, after.unreferenced], [[], []]);
    });
  });
}

Deno.test("rpm: --keep 2 orders by epoch first: dnf lists exactly the two newest; the others go after the grace", async () => {
  await withBackend("fs", async (repo) => {
    const keys = [];
    for (const evr of TOOL) keys.push(await putRpm(repo, evr));
    const r = await mkrepo(repo, ["--keep", "2"]);
    const dropped = ["0:1.0-1", "0:2.0-1", "0:10-1"].map(rpmKey);
    assert.deepEqual(sorted(r.summary.droppedKeys), sorted(dropped));
    for (const key of keys) assert.ok(await exists(repo, key), `${key} kept in the grace`);
    await withDnf({ repos: { baseurl: repo.path } }, async (dnf) => {
      assert.ok((await dnf.makecache()).ok);
      const listed = (await dnf.repoquery()).map((p) => `${p.epoch}:${p.version}-${p.release}`);
      assert.deepEqual(sorted(listed), ["1:0.5-1", "2:0.1-1"]);
    });
    const past = await mkrepo(repo, ["--grace", "0"]);
    assert.deepEqual(sorted(packageFiles(past.summary.deleted)), sorted(dropped));
    for (const key of keys) assert.equal(await exists(repo, key), !dropped.includes(key), key);
    const report = await verifyRepository(repo.storage, "test");
    assert.deepEqual([report.problems, report.unreferenced], [[], []]);
  });
});

Deno.test("deb: --keep-days never drops a package's newest version, however old; 0 turns it off", async () => {
  await withBackend("fs", async (repo) => {
    const day = 86_400;
    const now = Date.now() / 1000;
    const ages = [400, 300, 200];
    const keys = [];
    for (const [i, v] of ["1.0", "2.0", "3.0"].entries()) {
      const key = await putDeb(repo, "old", v);
      await Deno.utime(`${repo.path}/${key}`, now - ages[i] * day, now - ages[i] * day);
      keys.push(key);
    }
    const r = await mkrepo(repo, ["--keep-days", "30"]);
    assert.deepEqual(sorted(r.summary.droppedKeys), sorted(keys.slice(0, 2)));
    const packages = await repo.readText("dists/all/main/binary-amd64/Packages");
    assert.deepEqual([...packages!.matchAll(/^Version: (.+)$/gm)].map((m) => m[1]), ["3.0"]);
    assert.equal(JSON.parse((await repo.readText("mkrepo.json"))!).keepDays, 30);
    const off = await mkrepo(repo, ["--keep-days", "0"]);
    assert.deepEqual(off.summary.settingsChanged, [
      "keep days: 30 days (never the newest) → no limit",
    ]);
    assert.equal(JSON.parse((await repo.readText("mkrepo.json"))!).keepDays, undefined);
    const shown = await runCli(["settings", repo.path]);
    assert.match(shown.stdout, /keep days: no limit/);
  });
});

Deno.test("remove: --dry-run lists what would go and writes nothing; then the package leaves the index and its file goes after the grace", async () => {
  await withBackend("fs", async (repo) => {
    for (const v of ["1.0-1", "1.0-2"]) await putDeb(repo, "hello", v);
    await putDeb(repo, "doc", "1.0", "all");
    await mkrepo(repo);
    const bad = debKey("hello", "1.0-2", "amd64");
    const before = await repo.keys();
    const packages = () => repo.readText("dists/all/main/binary-amd64/Packages");
    const indexed = await packages();

    const plan = await runCli(["remove", "--dry-run", "--json", repo.path, "hello_1.0-2_*"]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(JSON.parse(plan.stdout).repos[0].droppedKeys, [bad]);
    assert.match(plan.stderr, /Would drop: pool\/main\/h\/hello_1\.0-2_amd64\.deb \(removed/);
    assert.deepEqual(await repo.keys(), before, "a dry run writes nothing");
    assert.equal(await packages(), indexed);

    const none = await runCli(["remove", repo.path, "nosuchpackage"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /"nosuchpackage" matches no package/);

    const done = await runCli(["remove", "--json", repo.path, "hello_1.0-2_*"]);
    assert.equal(done.code, 0, done.stderr);
    assert.doesNotMatch((await packages())!, /hello_1\.0-2/);
    assert.ok(await exists(repo, bad), "kept for the grace period");
    const pending = JSON.parse((await repo.readText("mkrepo-cleanup.json"))!).packages;
    assert.equal(pending[bad].reason, "removed");
    // A plain run does not put it back; a run past the grace deletes it.
    assert.equal((await mkrepo(repo)).summary.upToDate, true);
    assert.doesNotMatch((await packages())!, /hello_1\.0-2/);
    const past = await mkrepo(repo, ["--grace", "0"]);
    assert.deepEqual(packageFiles(past.summary.deleted), [bad]);
    assert.equal(await exists(repo, bad), false);
    // By package name: every version goes.
    const byName = await runCli(["remove", "--json", repo.path, "doc"]);
    assert.deepEqual(JSON.parse(byName.stdout).repos[0].droppedKeys, [debKey("doc", "1.0", "all")]);
  });
});

Deno.test("verify reports files no index names and package files an index names that are missing", async () => {
  await withBackend("fs", async (repo) => {
    const keys = [await putDeb(repo, "hello", "1.0-1"), await putDeb(repo, "hello", "1.0-2")];
    await mkrepo(repo);
    await Deno.writeTextFile(`${repo.path}/dists/all/main/binary-amd64/Packages.bz2`, "old");
    await Deno.writeTextFile(`${repo.path}/pool/main/h/stray.deb`, "not indexed");
    await repo.remove(keys[0]);
    const r = await runCli(["verify", "--json", repo.path]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout).repos[0];
    assert.deepEqual(report.problems, [`package ${keys[0]} is missing`]);
    assert.deepEqual(report.unreferenced, [
      "dists/all/main/binary-amd64/Packages.bz2",
      "pool/main/h/stray.deb",
    ]);
    const text = await runCli(["verify", repo.path]);
    assert.match(
      text.stderr,
      /2 unreferenced files[^\n]*\n {2}- dists\/all\/main\/binary-amd64\/Packages\.bz2/,
    );
  });
});
