/**
 * mkrepo.json: the text is stable and round-trips, bad files are refused with the reason, and a
 * repository's signing key is read back from its signatures (clear-signed and detached).
 */
import assert from "node:assert/strict";
import {
  parseSettings,
  type RepoSettings,
  settingsText,
} from "../../../src/record/repo_settings.ts";
import { MkrepoError } from "../../../src/errors.ts";
import { generateKey } from "../../../src/sign/keygen.ts";
import { createSigner } from "../../../src/sign/signer.ts";
import { signatureIssuers } from "../../../src/sign/openpgp_verify.ts";

const deb: RepoSettings = {
  kind: "deb",
  signed: true,
  signingKeys: ["0123456789ABCDEF0123456789ABCDEF01234567"],
  publicRead: true,
  publicKey: "key.asc",
  deb: {
    architectures: ["amd64", "arm64"],
    components: ["main"],
    origin: "Example",
    hashes: ["md5", "sha256"],
  },
};

Deno.test("settings text round-trips and is stable", () => {
  const text = settingsText(deb);
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v)); // unset fields are absent
  assert.deepEqual(plain(parseSettings(text, "mkrepo.json")), deb);
  assert.equal(settingsText(parseSettings(text, "mkrepo.json")), text);
  const rpm: RepoSettings = {
    kind: "rpm",
    signed: false,
    signingKeys: [],
    publicRead: false,
    keep: 3,
    keepDays: 90,
    rpm: { compression: "zstd" },
  };
  assert.deepEqual(plain(parseSettings(settingsText(rpm), "x")), rpm);
});

Deno.test("a settings file mkrepo cannot read is refused with the reason", () => {
  const bad = (text: string, reason: RegExp) =>
    assert.throws(() => parseSettings(text, "s3://b/mkrepo.json"), (err: unknown) => {
      assert.ok(err instanceof MkrepoError);
      assert.match(err.message, /^Cannot read settings "s3:\/\/b\/mkrepo.json": /);
      assert.match(err.message, reason);
      return true;
    });
  bad("{", /not JSON/);
  bad("[]", /not a JSON object/);
  bad(JSON.stringify({ format: 9, kind: "deb" }), /format 9, newer/);
  bad(JSON.stringify({ kind: "apk", signed: false, publicRead: false }), /"kind"/);
  bad(JSON.stringify({ kind: "deb", signed: "yes", publicRead: false }), /"signed"/);
  bad(
    JSON.stringify({ kind: "deb", signed: false, publicRead: false, deb: { hashes: ["crc"] } }),
    /deb.hashes/,
  );
  bad(
    JSON.stringify({ kind: "deb", signed: false, publicRead: false, deb: { origin: "a\nb" } }),
    /one line/,
  );
  bad(
    JSON.stringify({ kind: "rpm", signed: false, publicRead: false, rpm: { compression: "bz2" } }),
    /compression/,
  );
  bad(JSON.stringify({ kind: "rpm", signed: false, publicRead: false, keep: 0 }), /"keep"/);
  bad(JSON.stringify({ kind: "rpm", signed: false, publicRead: false, keepDays: 1.5 }), /keepDays/);
});

Deno.test("signatureIssuers reads the signing key's fingerprint from InRelease and Release.gpg", async () => {
  const key = await generateKey({ name: "T", email: "t@example.com", type: "ed25519" });
  const signer = await createSigner({ armoredKey: key.privateKeyArmored });
  assert.deepEqual(await signatureIssuers(await signer.clearSign("Origin: x\n")), [
    key.fingerprint,
  ]);
  assert.deepEqual(await signatureIssuers(await signer.detachSign("Origin: x\n")), [
    key.fingerprint,
  ]);
});
