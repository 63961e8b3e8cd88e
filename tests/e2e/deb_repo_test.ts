/**
 * Debian repositories end to end, on local disk and on S3 (moto), with the real apt-get:
 * build from real packages, install (unsigned and signed), incremental runs, malformed input.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture, fixtureNames, REFERENCE } from "../_helpers/fixtures.ts";
import { BACKENDS, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { makeKeyPairs, runMkrepo } from "../_helpers/run_cli.ts";
import { type AptSource, parseDeb822, withApt } from "../_helpers/apt.ts";
import { gpgvVerify } from "../_helpers/reference_tools.ts";

const BINARIES = fixtureNames("deb", (n) => /\.(deb|udeb|ddeb)$/.test(n));
const SOURCE_FILES = fixtureNames("deb", (n) => n.startsWith("hello_2.10") && !n.endsWith(".deb"));

/** pool key of a fixture: Debian's own layout (pool/main/<letter>/<name>/file → dist "all"). */
function poolKey(name: string): string {
  return `pool/main/${name[0]}/${name.split("_")[0]}/${name}`;
}

async function putAll(repo: RepoBackend, names: string[]) {
  for (const n of names) await repo.put(poolKey(n), fixture(`deb/${n}`));
}

function source(repo: RepoBackend, extra: Partial<AptSource> = {}): AptSource {
  return { uri: repo.url, suite: "all", components: ["main"], trusted: true, ...extra };
}

/** (name, version, arch) of every binary package in the reference Packages of the fixtures. */
const expected = parseDeb822(await Deno.readTextFile(REFERENCE + "Packages"))
  .filter((p) => !p.Filename.endsWith(".udeb"))
  .map((p) => `${p.Package} ${p.Version} ${p.Architecture}`).sort();

for (const backend of BACKENDS) {
  Deno.test(`mkrepo (${backend}) builds an apt repository that apt-get installs from`, async () => {
    await withBackend(backend, async (repo) => {
      await putAll(repo, [...BINARIES, ...SOURCE_FILES]);
      const r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.kind, "deb");
      assert.equal(r.summary.packages, BINARIES.length + 1);
      assert.equal(r.summary.read, BINARIES.length + 1);

      await withApt(
        {
          sources: source(repo, { types: ["deb", "deb-src"] }),
          arch: "amd64",
          architectures: ["amd64", "arm64", "i386"],
        },
        async (apt) => {
          const u = await apt.update();
          assert.ok(u.ok, u.stdout + u.stderr);
          assert.deepEqual(u.warnings, []);
          const seen = [
            ...new Set(
              (await apt.listPackages()).map((p) => `${p.package} ${p.version} ${p.architecture}`),
            ),
          ].sort();
          assert.deepEqual(seen, expected);
          for (const line of expected) {
            const [name, version, arch] = line.split(" ");
            const file = await apt.download(
              `${name}=${version}`,
              arch === "all" ? undefined : arch,
            );
            assert.ok(file.endsWith(".deb") || file.endsWith(".ddeb"), file);
          }
          assert.equal(await apt.policy("hello"), "2.10-3");
          const srcFiles = await apt.downloadSource("hello");
          assert.deepEqual(srcFiles.map((f) => f.split("/").at(-1)), [...SOURCE_FILES].sort());
        },
      );
      const udebs = await repo.readText("dists/all/main/debian-installer/binary-amd64/Packages");
      assert.match(udebs ?? "", /^Package: initrd-kickseed$/m);
      const release = await repo.readText("dists/all/Release");
      assert.match(release ?? "", /^Acquire-By-Hash: yes$/m);
      assert.match(release ?? "", /^SHA512:$/m);
    });
  });

  Deno.test(`mkrepo (${backend}) signs Release so apt accepts it with signed-by and refuses another key`, async () => {
    const keys = await Deno.makeTempDir({ prefix: "mkrepo-keys-" });
    try {
      await makeKeyPairs(keys, ["good", "other"]);
      const privateKey = await Deno.readTextFile(join(keys, "good.key"));
      await withBackend(backend, async (repo) => {
        await putAll(repo, ["hello_2.10-3_amd64.deb", "netbase_6.4_all.deb"]);
        const r = await runMkrepo(repo, ["--sign", "--public-key", "key.asc"], {
          MKREPO_SIGNING_KEY: privateKey,
        });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(
          (await repo.readText("key.asc"))?.trim(),
          (await Deno.readTextFile(join(keys, "good.asc"))).trim(),
        );

        const inRelease = join(keys, "InRelease");
        const release = join(keys, "Release");
        const releaseGpg = join(keys, "Release.gpg");
        await Deno.writeTextFile(inRelease, (await repo.readText("dists/all/InRelease"))!);
        await Deno.writeTextFile(release, (await repo.readText("dists/all/Release"))!);
        await Deno.writeTextFile(releaseGpg, (await repo.readText("dists/all/Release.gpg"))!);
        assert.ok((await gpgvVerify(join(keys, "good.asc"), inRelease)).ok);
        assert.ok((await gpgvVerify(join(keys, "good.asc"), releaseGpg, release)).ok);
        assert.ok(!(await gpgvVerify(join(keys, "other.asc"), inRelease)).ok);

        await withApt({
          sources: source(repo, { trusted: false, signedBy: join(keys, "good.asc") }),
        }, async (apt) => {
          const u = await apt.update();
          assert.ok(u.ok, u.stdout + u.stderr);
          assert.deepEqual(u.warnings, []);
          assert.equal(await apt.policy("hello"), "2.10-3");
          await apt.download("hello");
        });
        await withApt({
          sources: source(repo, { trusted: false, signedBy: join(keys, "other.asc") }),
        }, async (apt) => {
          const u = await apt.update();
          assert.ok(!u.ok, "apt must refuse a Release signed by another key");
          assert.equal(await apt.policy("hello"), undefined);
        });
      });
    } finally {
      await Deno.remove(keys, { recursive: true });
    }
  });

  Deno.test(`mkrepo (${backend}) reads only new and changed packages on later runs`, async () => {
    await withBackend(backend, async (repo) => {
      await putAll(repo, [
        "hello_2.10-3_amd64.deb",
        "netbase_6.4_all.deb",
        "hardlink_0.2.1_amd64.deb",
      ]);
      let r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.read, 3);

      r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.read, 0);
      assert.equal(r.summary.bytesRead, 0);
      assert.equal(r.summary.packages, 3);
      assert.deepEqual(r.summary.written, []);

      await putAll(repo, ["liblz4-1_1.9.4-1_amd64.deb"]);
      r = await runMkrepo(repo);
      assert.equal(r.summary.read, 1);
      assert.equal(r.summary.added, 1);
      assert.equal(
        r.summary.bytesRead,
        (await Deno.stat(fixture("deb/liblz4-1_1.9.4-1_amd64.deb"))).size,
      );

      await repo.remove(poolKey("hardlink_0.2.1_amd64.deb"));
      // replaced under the same name by other bytes (a rebuilt package)
      await repo.put(poolKey("netbase_6.4_all.deb"), fixture("deb/apticron_1.2.5+nmu1_all.deb"));
      r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.removed, 1);
      assert.equal(r.summary.changed, 1);
      assert.equal(r.summary.read, 1);
      const packages = (await repo.readText("dists/all/main/binary-amd64/Packages"))!;
      assert.doesNotMatch(packages, /^Package: hardlink$/m);
      assert.match(packages, /^Package: apticron$/m);
      assert.doesNotMatch(packages, /^Package: netbase$/m);

      await withApt({ sources: source(repo) }, async (apt) => {
        const u = await apt.update();
        assert.ok(u.ok, u.stdout + u.stderr);
        const names = (await apt.listPackages()).map((p) => p.package).sort();
        assert.deepEqual(names, ["apticron", "hello", "liblz4-1"]);
        await apt.download("apticron");
      });
    });
  });

  Deno.test(`mkrepo (${backend}) serves a repository of only 'all' packages to amd64 and arm64`, async () => {
    await withBackend(backend, async (repo) => {
      await repo.put("pool/stable/main/n/netbase_6.4_all.deb", fixture("deb/netbase_6.4_all.deb"));
      const r = await runMkrepo(repo);
      assert.equal(r.code, 0, r.stderr);
      for (const arch of ["amd64", "arm64"]) {
        await withApt({
          sources: { uri: repo.url, suite: "stable", components: ["main"], trusted: true },
          arch,
        }, async (apt) => {
          const u = await apt.update();
          assert.ok(u.ok, u.stdout + u.stderr);
          assert.deepEqual(u.warnings, []);
          assert.deepEqual(u.notices, []);
          assert.equal(await apt.policy("netbase"), "6.4");
        });
      }
    });
  });
}

for (const bad of fixtureNames("bad", (n) => n.endsWith(".deb"))) {
  Deno.test(`mkrepo fails on malformed ${bad}, naming it, and skips it with --force`, async () => {
    await withBackend("fs", async (repo) => {
      await putAll(repo, ["hello_2.10-3_amd64.deb"]);
      assert.equal((await runMkrepo(repo)).code, 0);
      const before = await repo.readText("dists/all/Release");
      await repo.put(`pool/main/x/${bad}`, fixture(`bad/${bad}`));

      const r = await runMkrepo(repo);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(bad.replace(/[.+]/g, "\\$&")));
      assert.equal(r.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).length, 1);
      assert.equal(await repo.readText("dists/all/Release"), before, "repository untouched");

      const f = await runMkrepo(repo, ["--force"]);
      assert.equal(f.code, 0, f.stderr);
      assert.deepEqual(f.summary.malformed, [`pool/main/x/${bad}`]);
      assert.match(f.stderr, new RegExp(bad.replace(/[.+]/g, "\\$&")));
      assert.equal(
        (await repo.readText("dists/all/malformed_list.txt"))?.trim(),
        `pool/main/x/${bad}`,
      );

      await repo.remove(`pool/main/x/${bad}`);
      assert.equal((await runMkrepo(repo)).code, 0);
      assert.equal(await repo.readText("dists/all/malformed_list.txt"), undefined);
    });
  });
}

Deno.test("mkrepo writes empty indexes for declared architectures and indexes declared components", async () => {
  await withBackend("fs", async (repo) => {
    await repo.put(
      "pool/stable/main/h/hello_2.10-3_amd64.deb",
      fixture("deb/hello_2.10-3_amd64.deb"),
    );
    await repo.put("pool/stable/contrib/n/netbase_6.4_all.deb", fixture("deb/netbase_6.4_all.deb"));
    const r = await runMkrepo(repo, [
      "--deb-architectures",
      "amd64,riscv64",
      "--deb-components",
      "main,contrib",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const release = (await repo.readText("dists/stable/Release"))!;
    assert.match(release, /^Architectures: amd64 riscv64$/m);
    assert.match(release, /^Components: contrib main$/m);
    assert.equal(await repo.readText("dists/stable/main/binary-riscv64/Packages"), "");
    assert.match(
      (await repo.readText("dists/stable/contrib/binary-riscv64/Packages"))!,
      /^Package: netbase$/m,
    );
    const src = { uri: repo.url, suite: "stable", components: ["main", "contrib"], trusted: true };
    await withApt({ sources: src, arch: "riscv64" }, async (apt) => {
      const u = await apt.update();
      assert.ok(u.ok, u.stdout + u.stderr);
      assert.deepEqual([u.warnings, u.notices], [[], []]);
      assert.equal(await apt.policy("netbase"), "6.4");
      assert.equal(await apt.policy("hello"), undefined);
    });
  });
});
