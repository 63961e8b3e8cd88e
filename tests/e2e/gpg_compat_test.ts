/**
 * The original mkrepo's signing setup still works: GPG_SIGN_KEY names a key in the user's gpg
 * keyring (GNUPGHOME), and `--sign` signs with gpg; without GPG_SIGN_KEY, with gpg's default key.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { createGpgKey, gpgvVerify, killGpgAgent } from "../_helpers/reference_tools.ts";
import { withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";

Deno.test("mkrepo --sign with GPG_SIGN_KEY signs Debian and RPM metadata with gpg", async () => {
  const key = await createGpgKey();
  const root = await Deno.makeTempDir({ prefix: "mkrepo-gpg-" });
  try {
    await Deno.chmod(root, 0o755);
    await Deno.mkdir(join(root, "deb/pool/main"), { recursive: true });
    await Deno.mkdir(join(root, "rpm/Packages"), { recursive: true });
    await Deno.copyFile(
      fixture("deb/hello_2.10-3_amd64.deb"),
      join(root, "deb/pool/main/hello_2.10-3_amd64.deb"),
    );
    await Deno.copyFile(
      fixture("rpm/tour-4-6.noarch.rpm"),
      join(root, "rpm/Packages/tour-4-6.noarch.rpm"),
    );
    const env: Record<string, string | undefined> = {
      GPG_SIGN_KEY: key.fingerprint,
      GNUPGHOME: key.home,
      MKREPO_SIGNING_KEY: undefined,
    };
    const r = await runCli(["--sign", join(root, "deb"), join(root, "rpm")], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);

    const dist = join(root, "deb/dists/all");
    assert.ok((await gpgvVerify(key.publicKeyPath, join(dist, "InRelease"))).ok);
    assert.ok(
      (await gpgvVerify(key.publicKeyPath, join(dist, "Release.gpg"), join(dist, "Release"))).ok,
    );
    const source = {
      uri: `file://${join(root, "deb")}`,
      suite: "all",
      components: ["main"],
      signedBy: key.publicKeyPath,
    };
    await withApt({ sources: source }, async (apt) => {
      const u = await apt.update();
      assert.ok(u.ok, u.stdout + u.stderr);
      assert.equal(await apt.policy("hello"), "2.10-3");
    });
    const repo = {
      baseurl: `file://${join(root, "rpm")}`,
      repoGpgcheck: true,
      gpgkey: key.publicKeyPath,
    };
    await withDnf({ repos: repo }, async (dnf) => {
      const m = await dnf.makecache();
      assert.ok(m.ok, m.stdout + m.stderr);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
    await key.dispose();
  }
});

Deno.test("mkrepo --sign without any key variable signs with gpg's default key, as the original", async () => {
  const key = await createGpgKey();
  const root = await Deno.makeTempDir({ prefix: "mkrepo-gpg-" });
  try {
    await Deno.mkdir(join(root, "deb/pool/main"), { recursive: true });
    await Deno.mkdir(join(root, "rpm/Packages"), { recursive: true });
    await Deno.copyFile(fixture("deb/hello_2.10-3_amd64.deb"), join(root, "deb/pool/main/h.deb"));
    await Deno.copyFile(fixture("rpm/tour-4-6.noarch.rpm"), join(root, "rpm/Packages/t.rpm"));
    const r = await runCli(["--sign", join(root, "deb"), join(root, "rpm")], {
      env: { GNUPGHOME: key.home, GPG_SIGN_KEY: undefined, MKREPO_SIGNING_KEY: undefined },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`gpg.s default key[^]*Signing with .*${key.fingerprint}`));
    const dist = join(root, "deb/dists/all");
    const inRelease = await gpgvVerify(key.publicKeyPath, join(dist, "InRelease"));
    assert.ok(inRelease.ok, inRelease.stderr);
    const releaseGpg = await gpgvVerify(
      key.publicKeyPath,
      join(dist, "Release.gpg"),
      join(dist, "Release"),
    );
    assert.ok(releaseGpg.ok, releaseGpg.stderr);
    const repomd = join(root, "rpm/repodata/repomd.xml");
    const rpm = await gpgvVerify(key.publicKeyPath, `${repomd}.asc`, repomd);
    assert.ok(rpm.ok, rpm.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
    await key.dispose();
  }
});

Deno.test("mkrepo --sign without any key variable and no gpg secret key is a usage error", async () => {
  const home = await Deno.makeTempDir({ prefix: "gpg-" });
  const root = await Deno.makeTempDir({ prefix: "mkrepo-gpg-" });
  try {
    await Deno.chmod(home, 0o700);
    await Deno.mkdir(join(root, "pool/main"), { recursive: true });
    await Deno.copyFile(fixture("deb/hello_2.10-3_amd64.deb"), join(root, "pool/main/h.deb"));
    const r = await runCli(["--sign", root], {
      env: { GNUPGHOME: home, GPG_SIGN_KEY: undefined, MKREPO_SIGNING_KEY: undefined },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: .*--sign needs a key.*MKREPO_SIGNING_KEY/);
    assert.match(r.stderr, /\nhint: .*mkrepo keygen/);
    await assert.rejects(Deno.stat(join(root, "dists")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
    await killGpgAgent(home);
    await Deno.remove(home, { recursive: true });
  }
});
