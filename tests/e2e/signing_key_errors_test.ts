/**
 * A signing key mkrepo cannot use stops the run before anything is written, with one error line
 * saying what is wrong with the key and a hint saying how to make or renew one and pass it.
 */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { withBackend } from "../_helpers/repo_backend.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { generateKey } from "../../src/sign/keygen.ts";

const DAY = 86_400_000;

/** Runs `mkrepo --sign` on a one-package repository with this key; returns [error, hint]. */
async function signWith(key: string, passphrase?: string): Promise<string[]> {
  let lines: string[] = [];
  await withBackend("fs", async (repo) => {
    await repo.put("pool/hello.deb", fixture("deb/hello_2.10-3_amd64.deb"));
    const r = await runCli(["--sign", repo.path], {
      env: {
        MKREPO_SIGNING_KEY: key,
        MKREPO_SIGNING_PASSPHRASE: passphrase,
        GPG_SIGN_KEY: undefined,
      },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(await repo.readText("dists/all/Release"), undefined, "nothing published");
    lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2, r.stderr);
  });
  return lines;
}

/**
 * The armour of `armored` with one base64 character changed inside the last bytes of its first
 * packet (the secret key packet; when encrypted, its checksum) — as a bad copy would.
 */
function corruptSecretKeyPacket(armored: string): string {
  const lines = armored.split("\n");
  const start = lines.indexOf("") + 1;
  const end = lines.findIndex((l) => l.startsWith("="));
  const body = lines.slice(start, end).join("");
  const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  assert.ok(bytes[0] === 0xc5 && bytes[1] < 192, "a new-format secret key packet, short length");
  const packetEnd = 2 + bytes[1];
  // a base64 character whose 6 bits lie within one byte near the end of the packet
  let char = -1;
  for (let byte = packetEnd - 6; char < 0; byte--) {
    const c = Math.ceil((byte * 8) / 6);
    if (c * 6 + 6 <= byte * 8 + 8) char = c;
  }
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const changed = alphabet[alphabet.indexOf(body[char]) ^ 1];
  const newBody = body.slice(0, char) + changed + body.slice(char + 1);
  const wrapped = newBody.match(/.{1,60}/g)!;
  return [...lines.slice(0, start), ...wrapped, ...lines.slice(end)].join("\n");
}

Deno.test("mkrepo --sign with an expired key: the date, and a hint to renew or make a key", async () => {
  const key = await generateKey({
    name: "Old",
    email: "old@example.com",
    type: "ed25519",
    now: new Date(Date.now() - 10 * DAY),
    expires: new Date(Date.now() - 5 * DAY),
  });
  const [error, hint] = await signWith(key.privateKeyArmored);
  assert.match(error, /^error: Cannot use signing key "MKREPO_SIGNING_KEY": the key expired on /);
  assert.match(hint, /^hint: .*gpg --quick-set-expire .*mkrepo keygen.*MKREPO_SIGNING_KEY/);
});

Deno.test("mkrepo --sign with text that is no key: a hint saying what a key looks like and how to make one", async () => {
  const [error, hint] = await signWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me@host");
  assert.match(error, /^error: Cannot use signing key "MKREPO_SIGNING_KEY": .*cannot be parsed/);
  assert.match(hint, /^hint: .*BEGIN PGP PRIVATE KEY BLOCK.*mkrepo keygen.*MKREPO_SIGNING_KEY/);
});

Deno.test("mkrepo --sign with a corrupted key says so, not 'wrong passphrase'", async () => {
  const key = await generateKey({
    name: "Locked",
    email: "locked@example.com",
    type: "ed25519",
    passphrase: "right",
  });
  const [wrong] = await signWith(key.privateKeyArmored, "wrong");
  assert.match(wrong, /: wrong passphrase$/);
  const [error, hint] = await signWith(corruptSecretKeyPacket(key.privateKeyArmored), "right");
  assert.match(error, /^error: Cannot use signing key "MKREPO_SIGNING_KEY": the key is corrupted/);
  assert.doesNotMatch(error, /passphrase/);
  assert.match(hint, /^hint: .*(copy|export) .*again/);
});
