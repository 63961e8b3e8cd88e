/**
 * Object keys as users really name them: spaces, "+", "~", "%" (valid and invalid escapes),
 * non-ASCII letters and XML/shell-special characters in package file names survive a whole
 * publish on local disk and S3 (moto), and the real apt-get and dnf download those packages by
 * the names in the index. On local disk nothing is ever written outside the repository folder,
 * even through a symlink planted inside it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { BACKENDS, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { verifyRepository } from "../../src/repo/verify.ts";

/** Package name → (key it is uploaded under, fixture). Distinct packages, so each is fetched. */
const DEB_KEYS: [string, string, string][] = [
  // Debian versions carry "+" and "~"; apt sends them unescaped, S3 must take them literally.
  ["apticron", "pool/main/a/apticron/apticron_1.2.5+nmu1_all.deb", "apticron_1.2.5+nmu1_all.deb"],
  ["hello", "pool/main/h/hello/hello_2.10-3~bpo12+1_amd64.deb", "hello_2.10-3_amd64.deb"],
  ["netbase", "pool/main/n/net base/netbase 6.4_all.deb", "netbase_6.4_all.deb"],
  // A literal "%2B" in a file name must not be decoded to "+" anywhere on the way.
  ["hardlink", "pool/main/h/hardlink/hardlink_0.2.1%2B1_amd64.deb", "hardlink_0.2.1_amd64.deb"],
  ["liblz4-1", "pool/main/l/liblz4/liblz4-1_%zz_amd64.deb", "liblz4-1_1.9.4-1_amd64.deb"],
  [
    "aptly-api",
    "pool/main/a/aptly-api/äptly-api_1.5.0+ds1-1+b4_amd64.deb",
    "aptly-api_1.5.0+ds1-1+b4_amd64.deb",
  ],
];

const RPM_KEYS: [string, string, string][] = [
  ["Archer", "Packages/sp ace/Archer 3.4.5-6.x86_64.rpm", "Archer-3.4.5-6.x86_64.rpm"],
  ["Rimmer", "Packages/Rimmer-1.0.2-2+b1%2B.x86_64.rpm", "Rimmer-1.0.2-2.x86_64.rpm"],
  ["tour", "Packages/ünï/tour-4-6.noarch.rpm", "tour-4-6.noarch.rpm"],
  ["complex-package", `Packages/pct%zz/c&x<y>'q".rpm`, "complex-package-2.3.4-5.el8.x86_64.rpm"],
];

async function sha256(file: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(file));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function mkrepo(repo: RepoBackend) {
  const r = await runCli(["--json", ...repo.args, repo.path]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).repos[0];
}

async function verified(repo: RepoBackend) {
  const report = await verifyRepository(repo.storage, repo.path, { deep: true });
  assert.deepEqual(report.problems, []);
}

for (const backend of BACKENDS) {
  Deno.test(`Debian package keys with spaces, +, ~, %, non-ASCII round-trip (${backend}, apt-get downloads them)`, async () => {
    await withBackend(backend, async (repo) => {
      for (const [, key, file] of DEB_KEYS) await repo.put(key, fixture(`deb/${file}`));
      const summary = await mkrepo(repo);
      assert.deepEqual([...summary.addedKeys].sort(), DEB_KEYS.map(([, k]) => k).sort());
      const packages = (await repo.readText("dists/all/main/binary-amd64/Packages"))!;
      for (const [, key] of DEB_KEYS) assert.ok(packages.includes(`\nFilename: ${key}\n`), key);
      await verified(repo);
      // A second run recognises every key as unchanged.
      assert.equal((await mkrepo(repo)).read, 0);

      await withApt({
        sources: { uri: repo.url, suite: "all", components: ["main"], trusted: true },
      }, async (apt) => {
        const u = await apt.update();
        assert.ok(u.ok && u.warnings.length === 0, u.stdout + u.stderr);
        for (const [name, , file] of DEB_KEYS) {
          const got = await apt.download(name);
          assert.equal(await sha256(got), await sha256(fixture(`deb/${file}`)), name);
        }
      });
    });
  });

  Deno.test(`RPM package keys with spaces, +, %, non-ASCII, XML specials round-trip (${backend}, dnf downloads them)`, async () => {
    await withBackend(backend, async (repo) => {
      for (const [, key, file] of RPM_KEYS) await repo.put(key, fixture(`rpm/${file}`));
      const summary = await mkrepo(repo);
      assert.deepEqual([...summary.addedKeys].sort(), RPM_KEYS.map(([, k]) => k).sort());
      await verified(repo);
      assert.equal((await mkrepo(repo)).read, 0);

      await withDnf({ repos: { baseurl: repo.url } }, async (dnf) => {
        const m = await dnf.makecache();
        assert.ok(m.ok, m.stdout + m.stderr);
        const locations = (await dnf.repoquery()).map((p) => p.location).sort();
        assert.deepEqual(locations, RPM_KEYS.map(([, k]) => k).sort());
        for (const [name, , file] of RPM_KEYS) {
          const got = await dnf.download(name);
          assert.equal(await sha256(got), await sha256(fixture(`rpm/${file}`)), name);
        }
      });
    });
  });
}

/** Every path under `dir` (empty when nothing was created there). */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    out.push(e.name);
    if (e.isDirectory) out.push(...(await tree(join(dir, e.name))).map((p) => `${e.name}/${p}`));
  }
  return out.sort();
}

/** A repository folder with packages and a symlink at `link` (relative) to a fresh outside folder. */
async function withPlantedSymlink(
  kind: "deb" | "rpm",
  link: string,
  fn: (repo: RepoBackend, outside: string) => Promise<void>,
) {
  const outside = await Deno.makeTempDir({ prefix: "mkrepo-outside-" });
  try {
    await withBackend("fs", async (repo) => {
      if (kind === "deb") {
        await repo.put(DEB_KEYS[1][1], fixture(`deb/${DEB_KEYS[1][2]}`));
      } else {
        await repo.put("Packages/tour-4-6.noarch.rpm", fixture("rpm/tour-4-6.noarch.rpm"));
      }
      const at = join(repo.path, ...link.split("/"));
      await Deno.mkdir(join(at, ".."), { recursive: true });
      await Deno.symlink(outside, at);
      await fn(repo, outside);
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
}

for (
  const [kind, link] of [
    ["deb", "dists"],
    ["deb", "dists/all"],
    ["deb", "dists/all/main/binary-amd64/by-hash"],
    ["rpm", "repodata"],
  ] as const
) {
  Deno.test(`a symlink ${link} -> outside the repository makes the ${kind} run fail, writing nothing outside`, async () => {
    await withPlantedSymlink(kind, link, async (repo, outside) => {
      const r = await runCli([repo.path]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: .*outside the repository/m);
      assert.equal(r.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).length, 1);
      assert.deepEqual(await tree(outside), [], "nothing may be created outside");
    });
  });
}

Deno.test("a symlinked index file inside the repository is replaced, its outside target untouched", async () => {
  const outside = await Deno.makeTempDir({ prefix: "mkrepo-outside-" });
  try {
    await withBackend("fs", async (repo) => {
      await repo.put(DEB_KEYS[1][1], fixture(`deb/${DEB_KEYS[1][2]}`));
      const target = join(outside, "Packages.gz");
      await Deno.writeTextFile(target, "outside, keep me\n");
      const link = join(repo.path, "dists/all/main/binary-amd64/Packages.gz");
      await Deno.mkdir(join(link, ".."), { recursive: true });
      await Deno.symlink(target, link);
      const r = await runCli([repo.path]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await Deno.readTextFile(target), "outside, keep me\n");
      assert.deepEqual(await tree(outside), ["Packages.gz"]);
      assert.ok((await Deno.lstat(link)).isFile, "the symlink was replaced by the index");
      await verified(repo);
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});
