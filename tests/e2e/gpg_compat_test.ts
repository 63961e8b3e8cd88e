/**
 * The original mkrepo's signing setup still works: GPG_SIGN_KEY names a key in the user's gpg
 * keyring (GNUPGHOME), and `--sign` signs with gpg.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { createGpgKey, gpgvVerify } from "../_helpers/reference_tools.ts";
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
