/**
 * A repository remembers how it is published (mkrepo.json): a run without the key or the
 * flags never unsigns, unpublishes or reshapes it; public read covers packages uploaded
 * privately; removing every package publishes an empty repository. Real parts: the CLI in a
 * subprocess, moto on loopback (without a public bucket policy: anonymous clients read only
 * public-read objects, which moto 5.2.1 enforces), the AWS CLI when installed, apt and dnf.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { makeKeyPairs, runCli, runMkrepo } from "../_helpers/run_cli.ts";
import { type AptSource, withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { BACKENDS, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";

const HELLO = "hello_2.10-3_amd64.deb";
const NETBASE = "netbase_6.4_all.deb";
const LZ4_ARM64 = "liblz4-1_1.9.4-1_arm64.deb";

/** Every object with its etag: what "nothing written" compares. */
async function snapshot(repo: RepoBackend): Promise<string[]> {
  return (await Array.fromAsync(repo.storage.list(""))).map((o) => `${o.key} ${o.etag}`).sort();
}

function source(repo: RepoBackend, extra: Partial<AptSource>): AptSource {
  return { uri: repo.url, suite: "all", components: ["main"], ...extra };
}

/** Status of an anonymous GET of `key` (S3 only: the URL clients use). */
async function anonymousStatus(repo: RepoBackend, key: string): Promise<number> {
  const res = await fetch(`${repo.url}/${key}`);
  await res.body?.cancel();
  return res.status;
}

function flag(repo: RepoBackend, name: string): string {
  return repo.args[repo.args.indexOf(name) + 1];
}

/** Uploads like a user: `aws s3 cp` (no ACL) when the AWS CLI is installed, else a plain PUT. */
async function userUpload(repo: RepoBackend, key: string, file: string): Promise<void> {
  if (repo.kind === "s3") {
    try {
      const out = await new Deno.Command("aws", {
        args: [
          "--endpoint-url",
          flag(repo, "--s3-endpoint"),
          "s3",
          "cp",
          "--only-show-errors",
          file,
          `${repo.path}/${key}`,
        ],
        env: {
          AWS_ACCESS_KEY_ID: flag(repo, "--s3-access-key-id"),
          AWS_SECRET_ACCESS_KEY: flag(repo, "--s3-secret-access-key"),
          AWS_DEFAULT_REGION: flag(repo, "--s3-region"),
        },
        stdin: "null",
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `aws s3 cp failed: ${err}`);
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  await repo.put(key, file);
}

async function settingsJson(repo: RepoBackend) {
  const r = await runCli(["settings", "--json", ...repo.args, repo.path]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).repos[0];
}

for (const backend of BACKENDS) {
  Deno.test(`mkrepo (${backend}): a signed public-read repository keeps its signature and covers private uploads`, async () => {
    const keys = await Deno.makeTempDir({ prefix: "mkrepo-keys-" });
    try {
      await makeKeyPairs(keys, ["good", "other"]);
      const key = await Deno.readTextFile(join(keys, "good.key"));
      const signedBy = join(keys, "good.asc");
      await withBackend(backend, async (repo) => {
        await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
        const first = await runMkrepo(repo, ["--sign", "--s3-public-read"], {
          MKREPO_SIGNING_KEY: key,
        });
        assert.equal(first.code, 0, first.stderr);

        // No key, no flags: refused before anything is written.
        const before = await snapshot(repo);
        const keyless = await runMkrepo(repo, [], { MKREPO_SIGNING_KEY: undefined });
        assert.equal(keyless.code, 1, keyless.stderr);
        assert.deepEqual(await snapshot(repo), before);
        const recorded = await settingsJson(repo);
        assert.equal(recorded.recorded, true);
        assert.equal(recorded.settings.signed, true);
        assert.equal(recorded.settings.publicRead, true);
        const fingerprint = recorded.settings.signingKeys[0];
        assert.match(fingerprint, /^[0-9A-F]{40}$/);
        assert.match(keyless.stderr, new RegExp(`signed by key ${fingerprint}`));
        assert.match(keyless.stderr, /MKREPO_SIGNING_KEY/);
        assert.match(keyless.stderr, /--no-sign/);
        assert.deepEqual(await snapshot(repo), before);
        // Another key is refused the same way.
        const other = await runMkrepo(repo, [], {
          MKREPO_SIGNING_KEY: await Deno.readTextFile(join(keys, "other.key")),
        });
        assert.equal(other.code, 1, other.stderr);
        assert.match(other.stderr, /--replace-key/);
        assert.deepEqual(await snapshot(repo), before);
        await withApt({ sources: source(repo, { signedBy }) }, async (apt) => {
          const u = await apt.update();
          assert.ok(u.ok, u.stdout + u.stderr);
          assert.equal(await apt.policy("hello"), "2.10-3");
        });

        // A package uploaded privately: the run (key from the environment, no flags) makes
        // it public before the index names it.
        await userUpload(repo, `pool/main/${NETBASE}`, fixture(`deb/${NETBASE}`));
        if (repo.kind === "s3") {
          assert.equal(await anonymousStatus(repo, `pool/main/${NETBASE}`), 403);
          const v = await runCli(["verify", ...repo.args, repo.path]);
          assert.equal(v.code, 1, v.stderr);
          assert.match(v.stderr, /netbase.*HTTP 403/);
        }
        const update = await runMkrepo(repo, [], { MKREPO_SIGNING_KEY: key });
        assert.equal(update.code, 0, update.stderr);
        assert.deepEqual(update.summary.addedKeys, [`pool/main/${NETBASE}`]);
        assert.ok(update.summary.written.includes("dists/all/InRelease"));
        if (repo.kind === "s3") {
          assert.equal(await anonymousStatus(repo, `pool/main/${NETBASE}`), 200);
          const v = await runCli(["verify", ...repo.args, repo.path]);
          assert.equal(v.code, 0, v.stderr);
        }
        await withApt({ sources: source(repo, { signedBy }) }, async (apt) => {
          const u = await apt.update();
          assert.ok(u.ok, u.stdout + u.stderr);
          await apt.download("netbase");
        });

        // Unsigned on purpose.
        const unsigned = await runMkrepo(repo, ["--no-sign"], { MKREPO_SIGNING_KEY: undefined });
        assert.equal(unsigned.code, 0, unsigned.stderr);
        assert.deepEqual(unsigned.summary.settingsChanged, [
          `signing: signed by ${fingerprint} → unsigned`,
        ]);
        assert.match(unsigned.stderr, /signing: signed by .* → unsigned/);
        const now = await repo.keys("dists/all/");
        assert.ok(!now.includes("dists/all/InRelease") && !now.includes("dists/all/Release.gpg"));
        assert.equal((await settingsJson(repo)).settings.signed, false);
        await withApt({ sources: source(repo, { trusted: true }) }, async (apt) => {
          const u = await apt.update();
          assert.ok(u.ok, u.stdout + u.stderr);
          assert.equal(await apt.policy("netbase"), "6.4");
        });
        // And it stays unsigned without flags, key or not.
        const after = await runMkrepo(repo, [], { MKREPO_SIGNING_KEY: key });
        assert.equal(after.code, 0, after.stderr);
        assert.ok(after.summary.upToDate);
      }, { publicPolicy: false });
    } finally {
      await Deno.remove(keys, { recursive: true });
    }
  });

  Deno.test(`mkrepo (${backend}): architectures, components and Release fields survive a run without flags`, async () => {
    await withBackend(backend, async (repo) => {
      await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
      const first = await runMkrepo(repo, [
        "--deb-architectures",
        "amd64,arm64,i386",
        "--deb-components",
        "main,contrib",
        "--deb-origin",
        "Example Origin",
        "--deb-label",
        "Example Label",
        "--deb-description",
        "Example packages",
      ], { MKREPO_DEB_ORIGIN: undefined, MKREPO_DEB_LABEL: undefined });
      assert.equal(first.code, 0, first.stderr);
      const release1 = (await repo.readText("dists/all/Release"))!;
      assert.match(release1, /^Origin: Example Origin$/m);

      const second = await runMkrepo(repo, [], {
        MKREPO_DEB_ORIGIN: undefined,
        MKREPO_DEB_LABEL: undefined,
        MKREPO_DEB_DESCRIPTION: undefined,
      });
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(second.summary.settingsChanged, []);
      const release2 = (await repo.readText("dists/all/Release"))!;
      const noDate = (t: string) => t.replace(/^Date: .*$/m, "");
      assert.equal(noDate(release2), noDate(release1));

      // A package in the recorded component "contrib" and a changed value.
      await repo.put(`pool/all/contrib/${NETBASE}`, fixture(`deb/${NETBASE}`));
      const third = await runMkrepo(repo, ["--deb-architectures", "amd64,arm64,i386,armhf"]);
      assert.equal(third.code, 0, third.stderr);
      assert.deepEqual(third.summary.settingsChanged, [
        "architectures: amd64 arm64 i386 → amd64 arm64 armhf i386",
      ]);
      assert.match(third.stderr, /architectures: amd64 arm64 i386 → amd64 arm64 armhf i386/);
      const release3 = (await repo.readText("dists/all/Release"))!;
      const field = (t: string, f: string) => new RegExp(`^${f}: (.*)$`, "m").exec(t)?.[1];
      for (const f of ["Origin", "Label", "Description"]) {
        assert.equal(field(release3, f), field(release1, f), f);
      }
      // contrib is still recognised: the package went to component contrib, not dist "all".
      assert.equal(field(release3, "Components"), "contrib main");
      assert.equal(field(release3, "Architectures"), "amd64 arm64 armhf i386");
      assert.ok((await repo.readText("dists/all/contrib/binary-amd64/Packages"))!.includes(
        "Package: netbase",
      ));
    });
  });

  Deno.test(`mkrepo (${backend}): an architecture taken out of the settings leaves Release and its indexes go`, async () => {
    await withBackend(backend, async (repo) => {
      await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
      await repo.put(`pool/main/${NETBASE}`, fixture(`deb/${NETBASE}`));
      const first = await runMkrepo(repo, ["--deb-architectures", "amd64,arm64,i386"]);
      assert.equal(first.code, 0, first.stderr);
      const field = async (f: string) =>
        new RegExp(`^${f}: (.*)$`, "m").exec((await repo.readText("dists/all/Release"))!)?.[1];
      assert.equal(await field("Architectures"), "amd64 arm64 i386");
      assert.ok((await repo.keys("dists/all/main/binary-arm64/")).length > 0);
      await withApt({ sources: source(repo, { trusted: true }), arch: "arm64" }, async (apt) => {
        assert.ok((await apt.update()).ok);
        assert.deepEqual((await apt.listPackages()).map((p) => p.package), ["netbase"]);
      });

      const second = await runMkrepo(repo, ["--deb-architectures", "amd64", "--grace", "0"]);
      assert.equal(second.code, 0, second.stderr);
      assert.ok(second.summary.settingsChanged.includes("architectures: amd64 arm64 i386 → amd64"));
      assert.equal(await field("Architectures"), "amd64");
      // Nothing names them any more, and the grace is 0: gone in the same run.
      assert.deepEqual(await repo.keys("dists/all/main/binary-arm64/"), []);
      assert.deepEqual(await repo.keys("dists/all/main/binary-i386/"), []);
      // An arm64 client no longer gets the Architecture: all packages it got before.
      await withApt({ sources: source(repo, { trusted: true }), arch: "arm64" }, async (apt) => {
        const u = await apt.update();
        assert.ok(u.ok, u.stdout + u.stderr);
        assert.deepEqual(await apt.listPackages(), []);
      });
      await withApt({ sources: source(repo, { trusted: true }) }, async (apt) => {
        assert.ok((await apt.update()).ok);
        assert.equal(await apt.policy("hello"), "2.10-3");
        assert.equal(await apt.policy("netbase"), "6.4");
      });

      // A package of an architecture not declared is still indexed, under its architecture,
      // and the next run with nothing new is up to date.
      await repo.put(`pool/main/${LZ4_ARM64}`, fixture(`deb/${LZ4_ARM64}`));
      const third = await runMkrepo(repo);
      assert.equal(third.code, 0, third.stderr);
      assert.equal(await field("Architectures"), "amd64 arm64");
      assert.ok((await repo.readText("dists/all/main/binary-arm64/Packages"))!.includes(
        "Package: liblz4-1",
      ));
      const fourth = await runMkrepo(repo);
      assert.equal(fourth.code, 0, fourth.stderr);
      assert.equal(fourth.summary.upToDate, true);
    });
  });

  Deno.test(`mkrepo (${backend}): a component taken out of the settings leaves Release and its indexes go`, async () => {
    await withBackend(backend, async (repo) => {
      await repo.put(`pool/stable/main/${HELLO}`, fixture(`deb/${HELLO}`));
      await repo.put(`pool/stable/contrib/${NETBASE}`, fixture(`deb/${NETBASE}`));
      const first = await runMkrepo(repo, ["--deb-components", "main,contrib"]);
      assert.equal(first.code, 0, first.stderr);
      const field = async (f: string) =>
        new RegExp(`^${f}: (.*)$`, "m").exec((await repo.readText("dists/stable/Release"))!)?.[1];
      assert.equal(await field("Components"), "contrib main");
      const both = source(repo, {
        suite: "stable",
        components: ["main", "contrib"],
        trusted: true,
      });
      await withApt({ sources: both }, async (apt) => {
        assert.ok((await apt.update()).ok);
        assert.equal(await apt.policy("netbase"), "6.4");
      });

      await repo.remove(`pool/stable/contrib/${NETBASE}`);
      const second = await runMkrepo(repo, ["--deb-components", "main", "--grace", "0"]);
      assert.equal(second.code, 0, second.stderr);
      assert.ok(second.summary.settingsChanged.includes("components: contrib main → main"));
      assert.equal(await field("Components"), "main");
      assert.deepEqual(await repo.keys("dists/stable/contrib/"), []);
      const main = source(repo, { suite: "stable", trusted: true });
      await withApt({ sources: main }, async (apt) => {
        assert.ok((await apt.update()).ok);
        assert.equal(await apt.policy("hello"), "2.10-3");
      });
      const third = await runMkrepo(repo);
      assert.equal(third.code, 0, third.stderr);
      assert.equal(third.summary.upToDate, true);
    });
  });

  Deno.test(`mkrepo (${backend}): removing every package publishes an empty repository`, async () => {
    await withBackend(backend, async (repo) => {
      // Debian.
      await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
      assert.equal((await runMkrepo(repo)).code, 0);
      await repo.remove(`pool/main/${HELLO}`);
      const empty = await runMkrepo(repo);
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.summary.packages, 0);
      await withApt({ sources: source(repo, { trusted: true }) }, async (apt) => {
        const u = await apt.update();
        assert.ok(u.ok, u.stdout + u.stderr);
        assert.deepEqual(await apt.listPackages(), []);
      });
      const verify = await runCli(["verify", ...repo.args, repo.path]);
      assert.equal(verify.code, 0, verify.stderr);
      await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
      assert.equal((await runMkrepo(repo)).code, 0);
      await withApt({ sources: source(repo, { trusted: true }) }, async (apt) => {
        assert.ok((await apt.update()).ok);
        assert.equal(await apt.policy("hello"), "2.10-3");
      });
    });
    await withBackend(backend, async (repo) => {
      // RPM.
      const rpm = "tour-4-6.noarch.rpm";
      await repo.put(`Packages/${rpm}`, fixture(`rpm/${rpm}`));
      assert.equal((await runMkrepo(repo)).code, 0);
      await repo.remove(`Packages/${rpm}`);
      const empty = await runMkrepo(repo);
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.summary.kind, "rpm");
      assert.equal(empty.summary.packages, 0);
      await withDnf({ repos: { baseurl: repo.url } }, async (dnf) => {
        const m = await dnf.makecache();
        assert.ok(m.ok, m.stdout + m.stderr);
        assert.deepEqual(await dnf.repoquery(), []);
      });
      await repo.put(`Packages/${rpm}`, fixture(`rpm/${rpm}`));
      assert.equal((await runMkrepo(repo)).code, 0);
      await withDnf({ repos: { baseurl: repo.url } }, async (dnf) => {
        assert.ok((await dnf.makecache()).ok);
        assert.deepEqual((await dnf.repoquery()).map((p) => p.name), ["tour"]);
      });
    });
  });
}

/** Runs `fn` on a local repository holding hello, with the armored private key of a new pair. */
async function withHelloAndKey(
  fn: (repo: RepoBackend, key: string) => Promise<void>,
): Promise<void> {
  const keys = await Deno.makeTempDir({ prefix: "mkrepo-keys-" });
  try {
    await makeKeyPairs(keys, ["good"]);
    const key = await Deno.readTextFile(join(keys, "good.key"));
    await withBackend("fs", async (repo) => {
      await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
      await fn(repo, key);
    });
  } finally {
    await Deno.remove(keys, { recursive: true });
  }
}

Deno.test("mkrepo derives the settings of a repository published without mkrepo.json", async () => {
  await withHelloAndKey(async (repo, key) => {
    const first = await runMkrepo(repo, ["--sign", "--deb-origin", "Old"], {
      MKREPO_SIGNING_KEY: key,
    });
    assert.equal(first.code, 0, first.stderr);
    const fingerprint = (await settingsJson(repo)).settings.signingKeys[0];
    await repo.remove("mkrepo.json"); // as an older mkrepo (or another tool) leaves it
    const derived = await settingsJson(repo);
    assert.equal(derived.recorded, false);
    assert.equal(derived.settings.signed, true);
    assert.deepEqual(derived.settings.signingKeys, [fingerprint]);
    assert.equal(derived.settings.deb.origin, "Old");
    const keyless = await runMkrepo(repo, [], { MKREPO_SIGNING_KEY: undefined });
    assert.equal(keyless.code, 1, keyless.stderr);
    assert.match(keyless.stderr, new RegExp(fingerprint));
    assert.ok(!(await repo.keys()).includes("mkrepo.json"));
    const again = await runMkrepo(repo, [], { MKREPO_SIGNING_KEY: key });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.summary.written, ["mkrepo.json"]);
    assert.match((await repo.readText("dists/all/Release"))!, /^Origin: Old$/m);
  });
});

Deno.test("mkrepo (s3): public read, once turned on, covers existing packages, metadata and a privately uploaded package", async () => {
  await withBackend("s3", async (repo) => {
    await repo.put(`pool/main/${HELLO}`, fixture(`deb/${HELLO}`));
    const private1 = await runMkrepo(repo);
    assert.equal(private1.code, 0, private1.stderr);
    assert.equal(await anonymousStatus(repo, `pool/main/${HELLO}`), 403);
    // Turned on for an existing repository: every existing package gets the ACL once.
    const first = await runMkrepo(repo, ["--s3-public-read"]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.summary.settingsChanged, ["public read: off → on"]);
    assert.equal(await anonymousStatus(repo, `pool/main/${HELLO}`), 200);
    await userUpload(repo, `pool/main/${NETBASE}`, fixture(`deb/${NETBASE}`));
    assert.equal(await anonymousStatus(repo, `pool/main/${NETBASE}`), 403);
    const second = await runMkrepo(repo);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(await anonymousStatus(repo, `pool/main/${NETBASE}`), 200);
    assert.equal(await anonymousStatus(repo, "dists/all/Release"), 200);
    await withApt({ sources: source(repo, { trusted: true }) }, async (apt) => {
      const u = await apt.update();
      assert.ok(u.ok, u.stdout + u.stderr);
      await apt.download("netbase");
    });
  }, { publicPolicy: false });
});

Deno.test("mkrepo: --public-key without --sign publishes the key of a repository that records its signature; an unsigned one refuses it", async () => {
  await withHelloAndKey(async (repo, key) => {
    // Unsigned: a key in the environment is not used without --sign, so there is none to publish.
    const before = await snapshot(repo);
    const refused = await runMkrepo(repo, ["--public-key", "key.asc"], {
      MKREPO_SIGNING_KEY: key,
    });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /no key to publish/);
    assert.match(refused.stderr, /--sign/);
    assert.deepEqual(await snapshot(repo), before);
    const contradiction = await runMkrepo(repo, ["--public-key", "key.asc", "--no-sign"]);
    assert.equal(contradiction.code, 2, contradiction.stderr);
    assert.match(contradiction.stderr, /^error: .*--public-key and --no-sign contradict/m);

    const signed = await runMkrepo(repo, ["--sign"], { MKREPO_SIGNING_KEY: key });
    assert.equal(signed.code, 0, signed.stderr);
    // Signed and recorded: the configured key signs without --sign, and its public half is published.
    const published = await runMkrepo(repo, ["--public-key", "key.asc"], {
      MKREPO_SIGNING_KEY: key,
    });
    assert.equal(published.code, 0, published.stderr);
    assert.ok(published.summary.written.includes("key.asc"), published.stderr);
    const asc = new TextDecoder().decode(
      await repo.storage.read("key.asc").then((s) => new Response(s).arrayBuffer()),
    );
    assert.match(asc, /BEGIN PGP PUBLIC KEY BLOCK/);
    assert.equal((await settingsJson(repo)).settings.publicKey, "key.asc");
  });
});
