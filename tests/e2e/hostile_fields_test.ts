/**
 * Field values and object keys that would become paths or index names: an Architecture with a
 * space or "../", Package names and Versions dpkg refuses, a file name with a newline, an object
 * key with ".." segments (S3 only: a folder cannot hold one), an rpm with an empty NAME. Each is a
 * malformed package: without --force the run fails naming it (one line), with --force it is
 * skipped and listed in malformed_list.txt, nothing junk is published, `verify` passes and the
 * real apt/dnf still read the repository.
 */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { BACKENDS, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runMkrepo } from "../_helpers/run_cli.ts";
import { withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { verifyRepository } from "../../src/repo/verify.ts";
import { makeDeb } from "../unit/reader/_make_deb.ts";
import { buildRpm, t } from "../unit/rpm/rpm_builder.ts";
import { Tag } from "../../src/reader/rpm/tags.ts";

const control = (fields: Record<string, string>) =>
  Object.entries({
    Package: "demo",
    Version: "1.0-1",
    Architecture: "amd64",
    Maintainer: "Someone <someone@example.org>",
    ...fields,
  }).map(([k, v]) => `${k}: ${v}\n`).join("") + "Description: demo\n a demo\n";

/** A hostile case: key, bytes, and the one backend that can hold the key (else both). */
interface Case {
  key: string;
  bytes: Uint8Array;
  /** S3 (moto) refuses a newline in a key; a folder cannot hold a ".." entry. */
  only?: "fs" | "s3";
}

const HOSTILE_DEBS: Case[] = [
  {
    key: "pool/main/s/space_1_amd64.deb",
    bytes: makeDeb({ control: control({ Architecture: "amd 64" }) }),
  },
  {
    key: "pool/main/d/dots_1_amd64.deb",
    bytes: makeDeb({ control: control({ Architecture: "../../../tmp" }) }),
  },
  {
    key: "pool/main/u/upper_1_amd64.deb",
    bytes: makeDeb({ control: control({ Architecture: "AMD64" }) }),
  },
  {
    key: "pool/main/s/slash_1_amd64.deb",
    bytes: makeDeb({ control: control({ Package: "a/b" }) }),
  },
  {
    key: "pool/main/u/upcase_1_amd64.deb",
    bytes: makeDeb({ control: control({ Package: "UPPER_case" }) }),
  },
  {
    key: "pool/main/v/version_1_amd64.deb",
    bytes: makeDeb({ control: control({ Version: "not a version!" }) }),
  },
  {
    key: "pool/main/e/epoch_1_amd64.deb",
    bytes: makeDeb({ control: control({ Version: "x:1.0" }) }),
  },
  {
    key: "pool/a b/main/d/dist_1_amd64.deb",
    bytes: makeDeb({ control: control({ Package: "dist" }) }),
  },
  {
    key: "pool/main/n/new\nline_1.0-1_amd64.deb",
    bytes: makeDeb({ control: control({ Package: "newline" }) }),
    only: "fs",
  },
  {
    key: "pool/../../evil.deb",
    bytes: makeDeb({ control: control({ Package: "evil" }) }),
    only: "s3",
  },
  {
    key: "pool/main/./dot.deb",
    bytes: makeDeb({ control: control({ Package: "dot" }) }),
    only: "s3",
  },
];

const GOOD_DEB = ["pool/main/h/hello/hello_2.10-3_amd64.deb", "deb/hello_2.10-3_amd64.deb"];
const GOOD_RPM = ["Packages/tour-4-6.noarch.rpm", "rpm/tour-4-6.noarch.rpm"];

const rpm = (name: string, extra: [number, ReturnType<typeof t.s>][] = []) =>
  buildRpm({
    header: [
      [Tag.NAME, t.s(name)],
      [Tag.VERSION, t.s("1.0")],
      [Tag.RELEASE, t.s("1")],
      [Tag.ARCH, t.s("x86_64")],
      ...extra,
    ],
  });

const HOSTILE_RPMS: Case[] = [
  { key: "Packages/empty-name.rpm", bytes: rpm("") },
  { key: "Packages/space-name.rpm", bytes: rpm("a b") },
  {
    key: "Packages/bad-version.rpm",
    bytes: buildRpm({
      header: [[Tag.NAME, t.s("vv")], [Tag.VERSION, t.s("1 0")], [Tag.RELEASE, t.s("1")], [
        Tag.ARCH,
        t.s("x86_64"),
      ]],
    }),
  },
  {
    key: "Packages/no-arch.rpm",
    bytes: buildRpm({
      header: [[Tag.NAME, t.s("na")], [Tag.VERSION, t.s("1")], [Tag.RELEASE, t.s("1")]],
    }),
  },
  { key: "Packages/new\nline.rpm", bytes: rpm("newline"), only: "fs" },
  { key: "Packages/../evil.rpm", bytes: rpm("evil"), only: "s3" },
];

async function put(repo: RepoBackend, key: string, bytes: Uint8Array) {
  await repo.storage.write(key, bytes);
}

/** Error lines of a failed run: exactly one, naming `key` (control characters escaped). */
function assertOneLineError(stderr: string, key: string) {
  const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
  assert.equal(errors.length, 1, stderr);
  const shown = JSON.stringify(key).slice(1, -1);
  assert.ok(errors[0].includes(shown), `${JSON.stringify(errors[0])} should name ${shown}`);
  const lines = stderr.split("\n");
  const next = lines[lines.indexOf(errors[0]) + 1] ?? "";
  assert.match(next, /^(hint: |$)/, `the message goes on over lines: ${stderr}`);
}

for (const backend of BACKENDS) {
  Deno.test(`hostile Debian fields and keys are malformed packages (${backend})`, async () => {
    const cases = HOSTILE_DEBS.filter((c) => (c.only ?? backend) === backend);
    // Alone, each fails the run (on S3 only the keys a folder cannot hold, to save time).
    for (const c of cases.filter((c) => backend === "fs" || c.only === "s3")) {
      await withBackend(backend, async (repo) => {
        await repo.put(GOOD_DEB[0], fixture(GOOD_DEB[1]));
        await put(repo, c.key, c.bytes);
        const r = await runMkrepo(repo);
        assert.equal(r.code, 1, `${JSON.stringify(c.key)}: ${r.stderr}`);
        assertOneLineError(r.stderr, c.key);
        assert.deepEqual(await repo.keys("dists/"), [], "nothing published");
      });
    }
    await withBackend(backend, async (repo) => {
      await repo.put(GOOD_DEB[0], fixture(GOOD_DEB[1]));
      for (const c of cases) await put(repo, c.key, c.bytes);
      const r = await runMkrepo(repo, ["--force"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([...r.summary.malformed].sort(), cases.map((c) => c.key).sort());
      assert.equal(r.summary.packages, 1);
      assert.doesNotMatch(r.stderr, /\nline_/, "a message split over two lines");
      const keys = await repo.keys("");
      const published = keys.filter((k) => !k.startsWith("pool/"));
      for (const k of published) {
        assert.ok(!/(^|\/)\.\.?(\/|$)|\s/.test(k), `junk key ${JSON.stringify(k)}`);
      }
      assert.deepEqual(
        [...new Set(published.map((k) => /binary-[^/]*/.exec(k)?.[0]).filter(Boolean))],
        ["binary-amd64"],
      );
      const release = (await repo.readText("dists/all/Release"))!;
      assert.match(release, /^Architectures: amd64$/m);
      assert.match(release, /^Components: main$/m);
      const list = (await repo.readText("dists/all/malformed_list.txt"))!;
      assert.equal(list.split("\n").filter((l) => l !== "").length, cases.length, list);
      const packages = (await repo.readText("dists/all/main/binary-amd64/Packages"))!;
      assert.deepEqual([...packages.matchAll(/^Filename: (.*)$/gm)].map((m) => m[1]), [
        GOOD_DEB[0],
      ]);
      const report = await verifyRepository(repo.storage, repo.path, { deep: true });
      assert.deepEqual(report.problems, []);
      await withApt({
        sources: { uri: repo.url, suite: "all", components: ["main"], trusted: true },
      }, async (apt) => {
        const u = await apt.update();
        assert.ok(u.ok && u.warnings.length === 0, u.stdout + u.stderr);
        await apt.download("hello");
      });
    });
  });

  Deno.test(`hostile rpm NAME/VERSION/ARCH and keys are malformed packages (${backend})`, async () => {
    const cases = HOSTILE_RPMS.filter((c) => (c.only ?? backend) === backend);
    for (const c of cases.filter((c) => backend === "fs" || c.only === "s3")) {
      await withBackend(backend, async (repo) => {
        await repo.put(GOOD_RPM[0], fixture(GOOD_RPM[1]));
        await put(repo, c.key, c.bytes);
        const r = await runMkrepo(repo);
        assert.equal(r.code, 1, `${JSON.stringify(c.key)}: ${r.stderr}`);
        assertOneLineError(r.stderr, c.key);
        assert.deepEqual(await repo.keys("repodata/"), [], "nothing published");
      });
    }
    await withBackend(backend, async (repo) => {
      await repo.put(GOOD_RPM[0], fixture(GOOD_RPM[1]));
      for (const c of cases) await put(repo, c.key, c.bytes);
      const r = await runMkrepo(repo, ["--force"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([...r.summary.malformed].sort(), cases.map((c) => c.key).sort());
      assert.equal(r.summary.packages, 1);
      assert.doesNotMatch(r.stderr, /\nline\.rpm/, "a message split over two lines");
      const list = (await repo.readText("repodata/malformed_list.txt"))!;
      assert.equal(list.split("\n").filter((l) => l !== "").length, cases.length, list);
      const report = await verifyRepository(repo.storage, repo.path, { deep: true });
      assert.deepEqual(report.problems, []);
      await withDnf({ repos: { baseurl: repo.url } }, async (dnf) => {
        const m = await dnf.makecache();
        assert.ok(m.ok, m.stdout + m.stderr);
        const locations = (await dnf.repoquery()).map((p) => p.location);
        assert.deepEqual(locations, [GOOD_RPM[0]]);
      });
    });
  });
}

Deno.test("a junk architecture or component in a published Release is dropped by the next run", async () => {
  await withBackend("fs", async (repo) => {
    await repo.put(GOOD_DEB[0], fixture(GOOD_DEB[1]));
    assert.equal((await runMkrepo(repo)).code, 0);
    // as an older version published them: junk next to the real ones
    const release = (await repo.readText("dists/all/Release"))!
      .replace(/^Architectures: .*$/m, "Architectures: AMD_64 amd64 ../../tmp")
      .replace(/^Components: .*$/m, "Components: ../x main");
    await Deno.writeTextFile(`${repo.path}/dists/all/Release`, release);
    const r = await runMkrepo(repo);
    assert.equal(r.code, 0, r.stderr);
    const now = (await repo.readText("dists/all/Release"))!;
    assert.match(now, /^Architectures: amd64$/m);
    assert.match(now, /^Components: main$/m);
    const keys = await repo.keys("");
    assert.ok(!keys.some((k) => /AMD|\.\./.test(k)), keys.join("\n"));
    const report = await verifyRepository(repo.storage, repo.path, { deep: true });
    assert.deepEqual(report.problems, []);
  });
});
