/**
 * Signing checked by the real verifiers: gpgv, apt's own gpgv method (/usr/lib/apt/methods/gpgv,
 * what `apt-get update` runs on InRelease and Release.gpg) and rpmkeys (dnf's key import).
 * Every gpg call gets its own temporary GNUPGHOME; ~/.gnupg is never touched.
 */

import { spawnText } from "../../_helpers/spawn.ts";
import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import { generateKey } from "../../../src/sign/keygen.ts";
import { createSigner, type Signer } from "../../../src/sign/signer.ts";

const RELEASE = [
  "Origin: mkrepo test",
  "Label: mkrepo",
  "Suite: stable",
  "Codename: bookworm",
  "Date: Wed, 25 Nov 2026 12:00:00 UTC",
  "Architectures: amd64 arm64",
  "Components: main",
  "Description: a line ending with a dash -",
  "-Starts-With-Dash: yes",
  "--- three dashes",
  "From the beginning of a line",
  "SHA256:",
  " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1234 main/binary-amd64/Packages",
  "",
].join("\n");

// Keys made once by generateKey(); RSA 4096 takes a few seconds.
const keys = {
  ed25519: generateKey({ name: "Ed Test", email: "ed@example.com", type: "ed25519" }),
  rsa4096: generateKey({ name: "RSA Test", email: "rsa@example.com", type: "rsa4096" }),
  other: generateKey({ name: "Other", email: "other@example.com", type: "ed25519" }),
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string | Uint8Array } = {},
): Promise<Run> {
  // the child inherits the environment, plus `env`
  return spawnText(cmd, args, {
    env: { ...Deno.env.toObject(), ...options.env },
    stdin: options.stdin,
  });
}

/** A temporary directory used as GNUPGHOME (and scratch space); gpg-agent killed at the end. */
async function withGnupgHome<T>(fn: (home: string, env: Record<string, string>) => Promise<T>) {
  const home = await Deno.makeTempDir({ prefix: "mkrepo-gpg-" });
  await Deno.chmod(home, 0o700);
  const env = { GNUPGHOME: home };
  try {
    return await fn(home, env);
  } finally {
    await run("gpgconf", ["--kill", "all"], { env });
    await Deno.remove(home, { recursive: true });
  }
}

async function gpg(env: Record<string, string>, args: string[], stdin?: string | Uint8Array) {
  const r = await run("gpg", ["--batch", "--yes", "--no-tty", ...args], { env, stdin });
  assert.equal(r.code, 0, `gpg ${args.join(" ")} failed: ${r.stderr}`);
  return r;
}

/** Writes the armored public key dearmored (gpgv needs a binary keyring); returns its path. */
async function keyring(home: string, env: Record<string, string>, armored: string, name = "k") {
  const path = `${home}/${name}.gpg`;
  await gpg(env, ["--dearmor", "--output", path], armored);
  return path;
}

/** gpgv on a clear-signed file (data undefined) or a detached signature; stdout = signed text. */
async function gpgv(
  env: Record<string, string>,
  ring: string,
  signed: string,
  data?: string,
): Promise<Run & { validsig?: string[] }> {
  const args = ["--keyring", ring, "--status-fd", "2"];
  const r = await run("gpgv", data ? [...args, signed, data] : [...args, "--output", "-", signed], {
    env,
  });
  const line = r.stderr.split("\n").find((l) => l.startsWith("[GNUPG:] VALIDSIG "));
  return { ...r, validsig: line?.split(" ").slice(2) };
}

/** Runs apt's gpgv acquire method as apt does; returns its reply ("201 URI Done" = accepted). */
async function aptVerify(signed: string, data: string, signedBy: string): Promise<string> {
  const request = `600 URI Acquire\nURI: gpgv:${signed}\nFilename: ${data}\n` +
    `Signed-By: ${signedBy}\n\n`;
  const r = await run("/usr/lib/apt/methods/gpgv", [], { stdin: request });
  return r.stdout.split("\n\n").filter((m) => !m.startsWith("100 Capabilities")).join("\n\n");
}

/** assert.rejects() check: a MkrepoError with this code, message and (optional) hint. */
function signingError(code: string, pattern: RegExp, hint?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof MkrepoError, `expected MkrepoError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    if (hint) assert.match(e.hint ?? "", hint);
    return true;
  };
}

/** clearSign + detachSign checked with gpgv, apt's method and rpmkeys. */
async function checkSigner(signer: Signer, publicKey: string) {
  await withGnupgHome(async (home, env) => {
    const ring = await keyring(home, env, publicKey);
    const inRelease = await signer.clearSign(RELEASE);
    assert.ok(!inRelease.includes("\r"), "InRelease has LF line endings only");
    assert.ok(inRelease.startsWith("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA"));
    assert.ok(inRelease.includes("\n- -Starts-With-Dash: yes\n"), "dash-escaped");
    assert.ok(inRelease.includes("main/binary-amd64/Packages\n-----BEGIN PGP SIGNATURE-----\n"));
    assert.ok(inRelease.endsWith("-----END PGP SIGNATURE-----\n"));
    await Deno.writeTextFile(`${home}/InRelease`, inRelease);
    const clear = await gpgv(env, ring, `${home}/InRelease`);
    assert.equal(clear.code, 0, clear.stderr);
    assert.equal(clear.stdout, RELEASE, "gpgv gives back exactly the input text");
    const [fpr, , , , version, , , hashAlgo, sigClass, primary] = clear.validsig!;
    assert.equal(primary, signer.fingerprint);
    assert.ok(fpr.length === 40);
    assert.equal(version, "4");
    assert.ok(["8", "9", "10"].includes(hashAlgo), `hash algorithm ${hashAlgo} is SHA-2`);
    assert.equal(sigClass, "01");

    const releaseGpg = await signer.detachSign(RELEASE);
    assert.match(releaseGpg, /^-----BEGIN PGP SIGNATURE-----\n[^]*-----END PGP SIGNATURE-----\n$/);
    await Deno.writeTextFile(`${home}/Release`, RELEASE);
    await Deno.writeTextFile(`${home}/Release.gpg`, releaseGpg);
    const detached = await gpgv(env, ring, `${home}/Release.gpg`, `${home}/Release`);
    assert.equal(detached.code, 0, detached.stderr);
    assert.equal(detached.validsig![8], "00");

    // apt's verifier takes the armored key as published (Signed-By: key.asc).
    await Deno.writeTextFile(`${home}/key.asc`, await signer.publicKeyArmored());
    const apt1 = await aptVerify(`${home}/InRelease`, `${home}/InRelease`, `${home}/key.asc`);
    assert.match(apt1, /^201 URI Done\n[^]*Signed-By: [0-9A-F]{40}!?\n/, apt1);
    const apt2 = await aptVerify(`${home}/Release.gpg`, `${home}/Release`, `${home}/key.asc`);
    assert.match(apt2, /^201 URI Done/, apt2);

    // dnf (librepo) checks repomd.xml.asc with gpg; rpm must accept the key for package checks.
    await Deno.mkdir(`${home}/rpmdb`);
    const rpm = await run("rpmkeys", ["--dbpath", `${home}/rpmdb`, "--import", `${home}/key.asc`]);
    assert.equal(rpm.code, 0, rpm.stderr);
  });
}

Deno.test("createSigner() ed25519 key from generateKey(): gpgv, apt and rpm accept", async () => {
  const key = await keys.ed25519;
  const signer = await createSigner({ armoredKey: key.privateKeyArmored });
  assert.equal(signer.fingerprint, key.fingerprint);
  assert.match(signer.description, /^ed25519 key [0-9A-F]{40} "Ed Test <ed@example.com>"$/);
  await checkSigner(signer, key.publicKeyArmored);
});

Deno.test("createSigner() rsa4096 key from generateKey(): gpgv, apt and rpm accept", async () => {
  const key = await keys.rsa4096;
  const signer = await createSigner({ armoredKey: key.privateKeyArmored });
  assert.match(signer.description, /^rsa4096 key /);
  await checkSigner(signer, key.publicKeyArmored);
});

Deno.test("detachSign() signs the exact bytes; gpgv rejects changed data or another key", async () => {
  const key = await keys.ed25519;
  const other = await keys.other;
  const signer = await createSigner({ armoredKey: key.privateKeyArmored });
  const otherSigner = await createSigner({ armoredKey: other.privateKeyArmored });
  const bytes = new Uint8Array(70_000).map((_, i) => (i * 7919) & 0xff); // not UTF-8, has CR/LF
  await withGnupgHome(async (home, env) => {
    const ring = await keyring(home, env, key.publicKeyArmored);
    await Deno.writeFile(`${home}/repomd.xml`, bytes);
    await Deno.writeTextFile(`${home}/good.asc`, await signer.detachSign(bytes));
    await Deno.writeTextFile(`${home}/other.asc`, await otherSigner.detachSign(bytes));
    assert.equal((await gpgv(env, ring, `${home}/good.asc`, `${home}/repomd.xml`)).code, 0);

    const wrongKey = await gpgv(env, ring, `${home}/other.asc`, `${home}/repomd.xml`);
    assert.notEqual(wrongKey.code, 0, "a signature by another key must fail");
    assert.match(wrongKey.stderr, /NO_PUBKEY/);

    bytes[1000] ^= 1;
    await Deno.writeFile(`${home}/repomd.xml`, bytes);
    const changed = await gpgv(env, ring, `${home}/good.asc`, `${home}/repomd.xml`);
    assert.notEqual(changed.code, 0, "a changed byte must fail");
    assert.match(changed.stderr, /BADSIG/);

    // The same with apt's method on an InRelease signed by the other key.
    await Deno.writeTextFile(`${home}/InRelease`, await otherSigner.clearSign(RELEASE));
    await Deno.writeTextFile(`${home}/key.asc`, key.publicKeyArmored);
    const apt = await aptVerify(`${home}/InRelease`, `${home}/InRelease`, `${home}/key.asc`);
    assert.match(apt, /^400 URI Failure/, apt);
  });
});

Deno.test("clearSign() keeps the text: final newline optional, CR and trailing blanks refused", async () => {
  const signer = await createSigner({ armoredKey: (await keys.ed25519).privateKeyArmored });
  const withNewline = await signer.clearSign("A: 1\n");
  const withoutNewline = await signer.clearSign("A: 1");
  const body = (s: string) => s.slice(0, s.indexOf("-----BEGIN PGP SIGNATURE-----"));
  assert.equal(body(withNewline), body(withoutNewline));
  assert.equal(body(withNewline), "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nA: 1\n");
  await assert.rejects(
    signer.clearSign("A: 1 \nB: 2\n"),
    signingError("signing", /line 1 .*space/),
  );
  await assert.rejects(signer.clearSign("A: 1\nB: 2\t"), signingError("signing", /line 2 /));
  await assert.rejects(signer.clearSign("A: 1\r\n"), signingError("signing", /CR at line 1/));
});

Deno.test("createSigner() passphrase: right one works, wrong or missing one is a clear error", async () => {
  const key = await generateKey({
    name: "Locked",
    email: "locked@example.com",
    type: "ed25519",
    passphrase: "correct horse",
  });
  assert.match(key.privateKeyArmored, /^-----BEGIN PGP PRIVATE KEY BLOCK-----/);
  const signer = await createSigner({
    armoredKey: key.privateKeyArmored,
    passphrase: "correct horse",
  });
  await withGnupgHome(async (home, env) => {
    const ring = await keyring(home, env, key.publicKeyArmored);
    await Deno.writeTextFile(`${home}/InRelease`, await signer.clearSign(RELEASE));
    assert.equal((await gpgv(env, ring, `${home}/InRelease`)).code, 0);
  });
  await assert.rejects(
    createSigner({ armoredKey: key.privateKeyArmored, passphrase: "wrong" }),
    signingError("signing", /^Cannot use signing key "MKREPO_SIGNING_KEY": wrong passphrase$/),
  );
  await assert.rejects(
    createSigner({ armoredKey: key.privateKeyArmored }),
    signingError("signing", /protected by a passphrase/, /MKREPO_SIGNING_PASSPHRASE/),
  );
});

Deno.test("createSigner() rejects what is not a usable private key, naming the source", async () => {
  const key = await keys.ed25519;
  await assert.rejects(
    createSigner({ armoredKey: key.publicKeyArmored }),
    signingError("signing", /"MKREPO_SIGNING_KEY": this is a public key, not a private key/),
  );
  await assert.rejects(
    createSigner({ armoredKey: "not a key" }),
    signingError("signing", /armour cannot be parsed/),
  );
  const broken = key.privateKeyArmored.replace(/\n([A-Za-z0-9+/]{20})/, "\n####################");
  await assert.rejects(createSigner({ armoredKey: broken }), signingError("signing", /cannot/));
  await assert.rejects(createSigner({ armoredKey: "" }), signingError("signing", /empty/));
  await assert.rejects(createSigner({}), signingError("usage", /needs a key/));
  await assert.rejects(
    createSigner({ keyFile: "/nonexistent/key.asc" }),
    (e) => e instanceof MkrepoError && e.code === "not-found" && e.key === "/nonexistent/key.asc",
  );
  const two = key.privateKeyArmored + (await keys.other).privateKeyArmored;
  await assert.rejects(createSigner({ armoredKey: two }), signingError("signing", /2 key blocks/));
  await withGnupgHome(async (_home, env) => {
    await gpg(env, ["--import"], two);
    const both = (await gpg(env, ["--armor", "--export-secret-keys"])).stdout;
    await assert.rejects(
      createSigner({ armoredKey: both }),
      signingError("signing", /exactly one/),
    );
  });
});

Deno.test("createSigner() reads key files (armored, binary) and one-line \\n-escaped secrets", async () => {
  const key = await keys.ed25519;
  const oneLine = key.privateKeyArmored.replaceAll("\n", "\\n");
  assert.equal((await createSigner({ armoredKey: oneLine })).fingerprint, key.fingerprint);
  await withGnupgHome(async (home, env) => {
    await Deno.writeTextFile(`${home}/key.asc`, key.privateKeyArmored);
    assert.equal((await createSigner({ keyFile: `${home}/key.asc` })).fingerprint, key.fingerprint);
    await gpg(env, ["--dearmor", "--output", `${home}/key.bin`], key.privateKeyArmored);
    const signer = await createSigner({ keyFile: `${home}/key.bin` });
    assert.equal(signer.fingerprint, key.fingerprint);
    await assert.rejects(
      createSigner({ keyFile: `${home}/key.bin`, gpgKeyId: "0123456789ABCDEF" }),
      signingError("usage", /GPG_SIGN_KEY names 0123456789ABCDEF/),
    );
    // GPG_SIGN_KEY naming the same key is fine and gpg is not used.
    const same = await createSigner({
      keyFile: `${home}/key.asc`,
      gpgKeyId: key.fingerprint.slice(-16),
      gpgPath: "/nonexistent/gpg",
    });
    assert.equal(same.fingerprint, key.fingerprint);
  });
});

Deno.test("createSigner() rejects an expired key", async () => {
  const day = 86_400_000;
  const key = await generateKey({
    name: "Old",
    email: "old@example.com",
    type: "ed25519",
    now: new Date(Date.now() - 10 * day),
    expires: new Date(Date.now() - 5 * day),
  });
  const expired = new Date(Date.now() - 5 * day).toISOString().slice(0, 10);
  await assert.rejects(
    createSigner({ armoredKey: key.privateKeyArmored }),
    signingError("signing", new RegExp(`the key expired on ${expired}`)),
  );
  // Valid at a date before expiry.
  const then = new Date(Date.now() - 7 * day);
  assert.ok(await createSigner({ armoredKey: key.privateKeyArmored, now: then }));
});

Deno.test("createSigner() rejects gpg-made keys: RSA 1024, SHA-1 self-signatures, expired signing subkey", async () => {
  await withGnupgHome(async (home, env) => {
    const exportKey = async (id: string) =>
      (await gpg(env, ["--armor", "--export-secret-keys", id])).stdout;
    const fpr = async (uid: string) => {
      const out = (await gpg(env, ["--with-colons", "--list-keys", uid])).stdout;
      return out.split("\n").find((l) => l.startsWith("fpr:"))!.split(":")[9];
    };
    const gen = ["--passphrase", "", "--quick-gen-key"];

    await gpg(env, [...gen, "Small <small@example.com>", "rsa1024", "sign", "never"]);
    await assert.rejects(
      createSigner({ armoredKey: await exportKey("small@example.com") }),
      signingError("signing", /primary key is RSA 1024 bits; apt and dnf .* 2048/, /mkrepo keygen/),
    );

    await gpg(env, ["--cert-digest-algo", "SHA1", ...gen, "Sha <sha1@example.com>", "rsa2048"]);
    await assert.rejects(
      createSigner({ armoredKey: await exportKey("sha1@example.com") }),
      signingError("signing", /self-signature uses SHA-1/),
    );
    // The hint's remedy works: new self-signatures with a SHA-2 digest.
    const shaFpr = await fpr("sha1@example.com");
    await gpg(env, ["--cert-digest-algo", "SHA512", "--quick-set-expire", shaFpr, "0"]);
    await gpg(env, ["--cert-digest-algo", "SHA512", "--quick-set-expire", shaFpr, "0", "*"]);
    const renewed = await createSigner({ armoredKey: await exportKey("sha1@example.com") });
    assert.equal(renewed.fingerprint, shaFpr);

    // Primary key can only certify; its only signing subkey expired.
    const past = ["--faked-system-time", "20240101T000000!"];
    await gpg(env, [...past, ...gen, "Sub <sub@example.com>", "ed25519", "cert", "never"]);
    const subFpr = await fpr("sub@example.com");
    const addKey = ["--passphrase", "", "--quick-add-key", subFpr, "ed25519", "sign"];
    await gpg(env, [...past, ...addKey, "2024-06-01"]);
    await assert.rejects(
      createSigner({ armoredKey: await exportKey("sub@example.com") }),
      signingError(
        "signing",
        /no usable signing key: signing subkey [0-9A-F]{16} expired on 2024-06-0/,
      ),
    );
    // A fresh signing subkey is picked; a key exported without its primary secret works too.
    await gpg(env, [...addKey, "1y"]);
    const subkeysOnly = (await gpg(env, ["--armor", "--export-secret-subkeys", subFpr])).stdout;
    const signer = await createSigner({ armoredKey: subkeysOnly });
    assert.match(signer.description, new RegExp(`key ${subFpr} \\(signing subkey [0-9A-F]{16}\\)`));
    const ring = await keyring(home, env, (await gpg(env, ["--armor", "--export", subFpr])).stdout);
    await Deno.writeTextFile(`${home}/InRelease`, await signer.clearSign(RELEASE));
    const r = await gpgv(env, ring, `${home}/InRelease`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.validsig![9], subFpr);
  });
});

Deno.test("createSigner() rejects a revoked key", async () => {
  await withGnupgHome(async (home, env) => {
    await gpg(env, ["--passphrase", "", "--quick-gen-key", "Rev <rev@example.com>", "ed25519"]);
    const listing = (await gpg(env, ["--with-colons", "--list-keys", "rev@example.com"])).stdout;
    const fpr = listing.split("\n").find((l) => l.startsWith("fpr:"))!.split(":")[9];
    // gpg stores a revocation certificate at key creation, its armour line guarded by ":".
    const cert = await Deno.readTextFile(`${home}/openpgp-revocs.d/${fpr}.rev`);
    await gpg(env, ["--import"], cert.replace(/^:-----BEGIN/m, "-----BEGIN"));
    const key = (await gpg(env, ["--armor", "--export-secret-keys", fpr])).stdout;
    await assert.rejects(createSigner({ armoredKey: key }), signingError("signing", /revoked/));
  });
});

Deno.test("createSigner() gpgKeyId signs through gpg (GPG_SIGN_KEY compatibility)", async () => {
  const key = await keys.rsa4096;
  await withGnupgHome(async (home, env) => {
    await gpg(env, ["--import"], key.privateKeyArmored);
    const signer = await createSigner({ gpgKeyId: key.fingerprint, gpgHome: home });
    assert.equal(signer.fingerprint, key.fingerprint);
    assert.match(
      signer.description,
      /^rsa4096 key [0-9A-F]{40} "RSA Test <rsa@example.com>" \(gpg\)$/,
    );
    const publicKey = await signer.publicKeyArmored();
    assert.match(publicKey, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const ring = await keyring(home, env, publicKey, "exported");
    const inRelease = await signer.clearSign(RELEASE);
    await Deno.writeTextFile(`${home}/InRelease`, inRelease);
    const clear = await gpgv(env, ring, `${home}/InRelease`);
    assert.equal(clear.code, 0, clear.stderr);
    assert.equal(clear.stdout, RELEASE);
    assert.equal(clear.validsig![7], "8", "--digest-algo SHA256");
    await Deno.writeTextFile(`${home}/Release`, RELEASE);
    await Deno.writeTextFile(`${home}/Release.gpg`, await signer.detachSign(RELEASE));
    assert.equal((await gpgv(env, ring, `${home}/Release.gpg`, `${home}/Release`)).code, 0);
    await Deno.writeTextFile(`${home}/key.asc`, publicKey);
    const apt = await aptVerify(`${home}/InRelease`, `${home}/InRelease`, `${home}/key.asc`);
    assert.match(apt, /^201 URI Done/, apt);

    await assert.rejects(
      createSigner({ gpgKeyId: "nobody@example.com", gpgHome: home }),
      signingError("signing", /GPG_SIGN_KEY=nobody@example.com.*No secret key/),
    );
  });
});

Deno.test("createSigner() gpgKeyId without gpg installed is a clear error", async () => {
  await assert.rejects(
    createSigner({ gpgKeyId: "ABCDEF0123456789", gpgPath: "/nonexistent/bin/gpg" }),
    (e) => {
      assert.ok(e instanceof MkrepoError);
      assert.equal(e.code, "signing");
      assert.equal(e.reason, "GPG_SIGN_KEY is set but gpg is not installed");
      assert.match(e.hint ?? "", /MKREPO_SIGNING_KEY/);
      assert.match(e.hint ?? "", /mkrepo keygen/);
      return true;
    },
  );
});

Deno.test("generateKey() checks its options", async () => {
  const base = { name: "N", email: "n@example.com", type: "ed25519" as const };
  await assert.rejects(
    generateKey({ ...base, email: "not-an-email" }),
    signingError("usage", /e-mail/),
  );
  await assert.rejects(generateKey({ ...base, name: "a <b>" }), signingError("usage", /name/));
  await assert.rejects(
    generateKey({ ...base, expires: new Date(Date.now() - 1000) }),
    signingError("usage", /not after/),
  );
  const expiring = await generateKey({ ...base, expires: new Date(Date.now() + 86_400_000) });
  const signer = await createSigner({ armoredKey: expiring.privateKeyArmored });
  assert.equal(signer.fingerprint, expiring.fingerprint);
});
