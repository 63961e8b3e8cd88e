/**
 * Proves the apt/dnf/reference-tool/http helpers against repositories made by the
 * reference tools (apt-ftparchive, createrepo_c) and signed with gpg.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { AptClient, parseDeb822, withApt } from "../../_helpers/apt.ts";
import { withDnf } from "../../_helpers/dnf.ts";
import { fixture, fixtureNames, REFERENCE } from "../../_helpers/fixtures.ts";
import { withStaticServer } from "../../_helpers/http_server.ts";
import {
  buildReferenceDebRepo,
  createGpgKey,
  createrepo,
  gpgvVerify,
  requireTool,
  signDebRelease,
  signRepomd,
} from "../../_helpers/reference_tools.ts";

const sha256 = async (path: string) =>
  createHash("sha256").update(await readFile(path)).digest("hex");

const DEBS = fixtureNames("deb", (n) => n.endsWith(".deb")).map((n) => fixture("deb/" + n));
const RPMS = fixtureNames("rpm", (n) => n.endsWith(".rpm") && !n.endsWith(".src.rpm"))
  .map((n) => fixture("rpm/" + n));

/** Runs fn with a fresh temp folder, removed afterwards. */
async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "helpers-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** apt-ftparchive repository of the fixture debs (amd64): dists/stable/main/binary-amd64. */
async function debRepo(dir: string): Promise<{ root: string; dist: string; uri: string }> {
  const root = join(dir, "repo");
  const dist = await buildReferenceDebRepo(root, DEBS, { dist: "stable", component: "main" });
  return { root, dist, uri: pathToFileURL(root).href };
}

/** createrepo_c repository of the fixture binary rpms. */
async function rpmRepo(dir: string): Promise<{ root: string; uri: string }> {
  const root = join(dir, "rpm");
  await mkdir(root, { recursive: true });
  for (const f of RPMS) await copyFile(f, join(root, basename(f)));
  await createrepo(root);
  return { root, uri: pathToFileURL(root).href };
}

const PACKAGES_PATH = "dists/stable/main/binary-amd64/Packages";

// ------------------------------------------------------------------------------------ apt

Deno.test("AptClient.update() succeeds without warnings on an apt-ftparchive repository with trusted=yes", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await withApt({ sources: { uri: repo.uri, suite: "stable", trusted: true } }, async (apt) => {
      const up = await apt.update();
      assert.ok(up.ok, up.stdout + up.stderr);
      assert.deepEqual(up.warnings, []);
      assert.deepEqual(up.errors, []);

      assert.equal(await apt.policy("hello"), "2.10-3");
      assert.equal(await apt.policy("openssl"), "1.1.1l-1ubuntu1");
      assert.equal(await apt.policy("no-such-package"), undefined);
      // i386 and arm64 packages are not in binary-amd64
      assert.equal(await apt.policy("liblz4-1:arm64"), undefined);

      const expected = parseDeb822(await readFile(join(repo.root, PACKAGES_PATH), "utf8"))
        .map((p) => `${p.Package} ${p.Version} ${p.Architecture}`).sort();
      const listed = (await apt.listPackages())
        .map((p) => `${p.package} ${p.version} ${p.architecture}`).sort();
      assert.deepEqual(listed, expected);
      assert.ok(listed.includes("openssl 1.1.1f-1ubuntu2 amd64"), "every version is listed");

      const hello = await apt.download("hello");
      assert.equal(basename(hello), "hello_2.10-3_amd64.deb");
      assert.equal(await sha256(hello), await sha256(fixture("deb/hello_2.10-3_amd64.deb")));
      const old = await apt.download("openssl=1.1.1f-1ubuntu2", "amd64");
      assert.equal(
        await sha256(old),
        await sha256(fixture("deb/openssl_1.1.1f-1ubuntu2_amd64.deb")),
      );
    });
  });
});

Deno.test("AptClient.download() fails when the pool file does not match Packages", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await withApt({ sources: { uri: repo.uri, suite: "stable", trusted: true } }, async (apt) => {
      assert.ok((await apt.update()).ok);
      const deb = join(repo.root, "pool/main/hello_2.10-3_amd64.deb");
      const bytes = await readFile(deb);
      bytes[bytes.length - 100] ^= 0xff; // same size, different hash
      await writeFile(deb, bytes);
      await assert.rejects(apt.download("hello"), /Hash Sum mismatch/);
    });
  });
});

Deno.test("AptClient.installDownloadOnly() resolves dependencies from the configured sources only", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await withApt(
      { sources: { uri: repo.uri, suite: "stable", trusted: true }, format: "one-line" },
      async (apt) => {
        assert.ok((await apt.update()).ok);
        const netbase = await apt.installDownloadOnly(["netbase"]);
        assert.ok(netbase.result.ok, netbase.result.stdout + netbase.result.stderr);
        assert.deepEqual(netbase.fetched, ["netbase 6.4 all"]);
        // hello needs libc6, which is not in the repository (and the status file is empty)
        const hello = await apt.installDownloadOnly(["hello"]);
        assert.equal(hello.result.ok, false);
        assert.match(hello.result.stdout + hello.result.stderr, /libc6/);
      },
    );
  });
});

Deno.test("AptClient.downloadSource() fetches a source package listed in Sources", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "repo");
    const src = ["hello_2.10-3.dsc", "hello_2.10.orig.tar.gz", "hello_2.10.orig.tar.gz.asc"]
      .concat("hello_2.10-3.debian.tar.xz").map((n) => fixture("deb/" + n));
    await buildReferenceDebRepo(root, [fixture("deb/hello_2.10-3_amd64.deb")], {
      sourceFiles: src,
    });
    await withApt({
      sources: {
        uri: pathToFileURL(root).href,
        suite: "stable",
        trusted: true,
        types: ["deb", "deb-src"],
      },
    }, async (apt) => {
      const up = await apt.update();
      assert.ok(up.ok, up.stdout + up.stderr);
      assert.deepEqual(up.warnings, []);
      assert.deepEqual((await apt.indexRecords("Sources")).map((r) => r.Package), ["hello"]);
      const files = await apt.downloadSource("hello");
      assert.deepEqual(files.map((f) => basename(f)), src.map((f) => basename(f)).sort());
      for (const f of files) {
        assert.equal(await sha256(f), await sha256(fixture("deb/" + basename(f))));
      }
    });
  });
});

Deno.test("AptClient.update() accepts InRelease signed by the signed-by key", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await using key = await createGpgKey();
    await signDebRelease(repo.dist, key);
    // the signatures themselves are good for gpgv
    const inRelease = await gpgvVerify(key.publicKeyPath, join(repo.dist, "InRelease"));
    assert.ok(inRelease.ok, inRelease.stderr);
    assert.deepEqual(inRelease.validSigners, [key.fingerprint]);
    const detached = await gpgvVerify(
      key.publicKeyPath,
      join(repo.dist, "Release.gpg"),
      join(repo.dist, "Release"),
    );
    assert.ok(detached.ok, detached.stderr);

    await withApt({
      sources: { uri: repo.uri, suite: "stable", signedBy: key.publicKeyPath },
    }, async (apt) => {
      const up = await apt.update();
      assert.ok(up.ok, up.stdout + up.stderr);
      assert.deepEqual(up.warnings, []);
      assert.match(up.stdout, /stable InRelease/);
      assert.equal(await apt.policy("hello"), "2.10-3");
      assert.equal(
        await sha256(await apt.download("netbase")),
        await sha256(fixture("deb/netbase_6.4_all.deb")),
      );
    });
  });
});

Deno.test("AptClient.update() accepts Release + Release.gpg (RSA) when there is no InRelease", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await using key = await createGpgKey({ type: "rsa" });
    await signDebRelease(repo.dist, key);
    await rm(join(repo.dist, "InRelease"));
    await withApt({
      sources: { uri: repo.uri, suite: "stable", signedBy: key.publicKeyPath },
      format: "one-line",
    }, async (apt) => {
      const up = await apt.update();
      assert.ok(up.ok, up.stdout + up.stderr);
      assert.deepEqual(up.warnings, []);
      assert.match(up.stdout, /Release\.gpg/);
      assert.equal(await apt.policy("hello"), "2.10-3");
    });
  });
});

Deno.test("AptClient.update() fails when the Release is signed by another key, and ignores system keys", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await using key = await createGpgKey();
    await using other = await createGpgKey({ uid: "other <other@example.com>" });
    await signDebRelease(repo.dist, key);

    const wrong = await gpgvVerify(other.publicKeyPath, join(repo.dist, "InRelease"));
    assert.equal(wrong.ok, false);

    for (const signedBy of [other.publicKeyPath, undefined]) {
      await withApt({ sources: { uri: repo.uri, suite: "stable", signedBy } }, async (apt) => {
        const up = await apt.update();
        assert.equal(up.ok, false, `signedBy=${signedBy}: update must fail`);
        assert.notEqual(up.code, 0);
        assert.match(up.errors.join("\n"), /NO_PUBKEY|not signed/);
        assert.equal(await apt.policy("hello"), undefined);
      });
    }
  });
});

Deno.test("AptClient.update() fails when Packages does not match Release", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await using key = await createGpgKey();
    await signDebRelease(repo.dist, key);
    await appendFile(join(repo.root, PACKAGES_PATH), "\nPackage: injected\nVersion: 1\n");
    await withApt({
      sources: { uri: repo.uri, suite: "stable", signedBy: key.publicKeyPath },
    }, async (apt) => {
      const up = await apt.update();
      assert.equal(up.ok, false);
      assert.notEqual(up.code, 0);
      assert.match(up.errors.join("\n"), /Hash Sum mismatch/);
      assert.equal(await apt.policy("injected"), undefined);
    });
  });
});

Deno.test("AptClient works over HTTP from withStaticServer, with apt's _apt sandbox on", async () => {
  await withTempDir(async (dir) => {
    const repo = await debRepo(dir);
    await using key = await createGpgKey();
    await signDebRelease(repo.dist, key);
    await withStaticServer(repo.root, async (server) => {
      const apt = await AptClient.create({
        sources: { uri: server.url, suite: "stable", signedBy: key.publicKeyPath, arch: ["amd64"] },
        sandbox: true,
      });
      try {
        const up = await apt.update();
        assert.ok(up.ok, up.stdout + up.stderr);
        assert.deepEqual(up.warnings, []);
        assert.ok(
          server.requests.some((r) => r.path === "/dists/stable/InRelease" && r.status === 200),
        );
        const hello = await apt.download("hello");
        assert.equal(await sha256(hello), await sha256(fixture("deb/hello_2.10-3_amd64.deb")));
        // a second update revalidates InRelease (304 or 200) and still succeeds
        assert.ok((await apt.update()).ok);
      } finally {
        await apt.dispose();
      }
    });
  });
});

// ------------------------------------------------------------------------------------ dnf

/** NEVRAs createrepo_c puts in repodata for the binary fixture rpms (reference/rpm-nevra.txt). */
async function expectedNevras(): Promise<string[]> {
  return (await readFile(REFERENCE + "rpm-nevra.txt", "utf8")).split("\n").filter(Boolean)
    .filter((l) => !l.startsWith("rpm/hello-1.0-1.src.rpm"))
    .map((l) => l.split("\t")[1]).sort();
}

Deno.test("DnfClient.repoquery() sees every NEVRA of a createrepo_c repository, with deps and files", async () => {
  await withTempDir(async (dir) => {
    const repo = await rpmRepo(dir);
    await withDnf({ repos: { baseurl: repo.uri } }, async (dnf) => {
      const mc = await dnf.makecache();
      assert.ok(mc.ok, mc.stdout + mc.stderr);
      const pkgs = await dnf.repoquery();
      assert.deepEqual(pkgs.map((p) => p.nevra).sort(), await expectedNevras());

      const complex = pkgs.find((p) => p.name === "complex-package")!;
      assert.equal(complex.epoch, 1);
      assert.ok(complex.provides.includes("laughter = 33"));
      assert.ok(complex.requires.includes("arson >= 1.0.0-1"));
      assert.deepEqual(complex.requiresPre, ["/usr/sbin/useradd"]);
      assert.ok(complex.recommends.includes("((hiding and attic) if light-treason)"));
      assert.ok(complex.suggests.includes("(job or money > 9000)"));
      assert.ok(complex.supplements.includes("comedy = 11.1-4"));
      assert.deepEqual(complex.enhances, ["(bananas or magic)"]);
      assert.deepEqual(complex.conflicts, ["foxnetwork > 5555"]);
      assert.deepEqual(complex.obsoletes, ["bluemangroup < 32.1-0", "cornballer < 444"]);
      assert.ok(complex.files.includes("/etc/complex/pkg.cfg"));
      assert.equal(pkgs.find((p) => p.name === "crypto-policies")!.files.length, 173);
      for (const p of pkgs) {
        assert.equal(p.checksum?.type, "sha256");
        assert.equal(p.checksum?.value, await sha256(join(repo.root, p.location)), p.nevra);
      }

      const archer = await dnf.download("Archer-2:3.4.5-6.x86_64");
      assert.equal(await sha256(archer), await sha256(fixture("rpm/Archer-3.4.5-6.x86_64.rpm")));
      // a file whose name is not NEVRA.rpm
      const signed = await dnf.download("hello-2.0-1.x86_64");
      assert.equal(
        await sha256(signed),
        await sha256(fixture("rpm/hello-2.0-1.x86_64-signed.rpm")),
      );
    });
  });
});

Deno.test("DnfClient.repoquery() sees a republished repository without a cache reset", async () => {
  await withTempDir(async (dir) => {
    const repo = await rpmRepo(dir);
    await withDnf({ repos: { baseurl: repo.uri } }, async (dnf) => {
      assert.ok((await dnf.makecache()).ok);
      assert.equal((await dnf.repoquery()).length, RPMS.length);
      await rm(join(repo.root, "tour-4-5.noarch.rpm"));
      await rm(join(repo.root, "repodata"), { recursive: true });
      await createrepo(repo.root);
      assert.ok((await dnf.makecache()).ok);
      const nevras = (await dnf.repoquery()).map((p) => p.nevra);
      assert.equal(nevras.length, RPMS.length - 1);
      assert.ok(!nevras.includes("tour-4-5.noarch"));
    });
  });
});

Deno.test("DnfClient.download() fails when the package does not match primary.xml", async () => {
  await withTempDir(async (dir) => {
    const repo = await rpmRepo(dir);
    await withDnf({ repos: { baseurl: repo.uri } }, async (dnf) => {
      assert.ok((await dnf.makecache()).ok);
      const rpm = join(repo.root, "tour-4-6.noarch.rpm");
      const bytes = await readFile(rpm);
      bytes[bytes.length - 100] ^= 0xff;
      await writeFile(rpm, bytes);
      await assert.rejects(dnf.download("tour-4-6.noarch"), /incorrect checksum|checksum/i);
    });
  });
});

Deno.test("DnfClient.makecache() with repo_gpgcheck accepts the signing key and refuses another", async () => {
  await withTempDir(async (dir) => {
    const repo = await rpmRepo(dir);
    await using key = await createGpgKey({ type: "rsa" });
    await using other = await createGpgKey({ uid: "other <other@example.com>" });
    await signRepomd(repo.root, key);
    const gv = await gpgvVerify(
      key.publicKeyPath,
      join(repo.root, "repodata/repomd.xml.asc"),
      join(repo.root, "repodata/repomd.xml"),
    );
    assert.ok(gv.ok, gv.stderr);

    await withDnf({
      repos: { baseurl: repo.uri, repoGpgcheck: true, gpgkey: key.publicKeyPath },
    }, async (dnf) => {
      const mc = await dnf.makecache();
      assert.ok(mc.ok, mc.stdout + mc.stderr);
      assert.equal((await dnf.repoquery()).length, RPMS.length);
    });
    await withDnf({
      repos: { baseurl: repo.uri, repoGpgcheck: true, gpgkey: other.publicKeyPath },
    }, async (dnf) => {
      const mc = await dnf.makecache();
      assert.equal(mc.ok, false);
      assert.match(mc.stderr, /GPG signature verification error|Bad GPG signature/);
      await assert.rejects(dnf.repoquery());
    });
    // no signature at all with repo_gpgcheck=1 is refused too
    await rm(join(repo.root, "repodata/repomd.xml.asc"));
    await withDnf({
      repos: { baseurl: repo.uri, repoGpgcheck: true, gpgkey: key.publicKeyPath },
    }, async (dnf) => {
      const mc = await dnf.makecache();
      assert.equal(mc.ok, false, mc.stdout + mc.stderr);
    });
  });
});

Deno.test("DnfClient works over HTTP from withStaticServer with a signed repomd.xml", async () => {
  await withTempDir(async (dir) => {
    const repo = await rpmRepo(dir);
    await using key = await createGpgKey();
    await signRepomd(repo.root, key);
    await withStaticServer(repo.root, async (server) => {
      await withDnf({
        repos: { baseurl: server.url, repoGpgcheck: true, gpgkey: key.publicKeyPath },
      }, async (dnf) => {
        const mc = await dnf.makecache();
        assert.ok(mc.ok, mc.stdout + mc.stderr);
        assert.ok(
          server.requests.some((r) => r.path === "/repodata/repomd.xml.asc" && r.status === 200),
        );
        assert.deepEqual(
          (await dnf.repoquery()).map((p) => p.nevra).sort(),
          await expectedNevras(),
        );
        const tour = await dnf.download("tour-4-5.noarch");
        assert.equal(await sha256(tour), await sha256(fixture("rpm/tour-4-5.noarch.rpm")));
      });
    });
  });
});

// --------------------------------------------------------------------------- http, tools

Deno.test("withStaticServer() serves GET, HEAD, byte ranges, 304 and 404", async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, "a.txt"), "0123456789");
    await withStaticServer(dir, async ({ url, requests }) => {
      let r = await fetch(url + "a.txt");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "0123456789");
      const etag = r.headers.get("etag")!;

      r = await fetch(url + "a.txt", { method: "HEAD" });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-length"), "10");
      await r.body?.cancel();

      r = await fetch(url + "a.txt", { headers: { range: "bytes=2-4" } });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get("content-range"), "bytes 2-4/10");
      assert.equal(await r.text(), "234");
      r = await fetch(url + "a.txt", { headers: { range: "bytes=-3" } });
      assert.equal(await r.text(), "789");
      r = await fetch(url + "a.txt", { headers: { range: "bytes=20-" } });
      assert.equal(r.status, 416);
      await r.body?.cancel();

      r = await fetch(url + "a.txt", { headers: { "if-none-match": etag } });
      assert.equal(r.status, 304);
      await r.body?.cancel();

      for (const p of ["missing", "", "..%2f..%2fetc%2fpasswd"]) {
        r = await fetch(url + p);
        assert.ok(r.status === 404 || r.status === 403, `${p}: ${r.status}`);
        await r.body?.cancel();
      }
      assert.equal(requests[0].path, "/a.txt");
    });
  });
});

Deno.test("requireTool() fails with an install hint when a tool is missing", () => {
  assert.throws(
    () => requireTool("createrepo_c_not_installed"),
    /not found on PATH.*apt-get install -y createrepo_c_not_installed/,
  );
  assert.match(requireTool("apt-ftparchive"), /\/apt-ftparchive$/);
});
