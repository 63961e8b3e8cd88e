/**
 * Reading an OpenPGP private key with openpgp.js, and saying what makes it unusable: not one
 * private key, created in the future, revoked or expired, no valid signing (sub)key, or
 * self-signatures made with a hash newer apt and dnf reject. The value rules that need no
 * openpgp object are in signing_key_rules.ts.
 * @module
 */
import * as openpgp from "openpgp";
import { type Fail, keyText, newKeyHint, unreadableKeyHint } from "./signing_key_rules.ts";

const hash = openpgp.enums.hash;
/**
 * openpgp.js settings of every call. SHA-256 is always usable: openpgp picks it whatever the
 * key's hash preferences (which may list SHA-3, unknown to GnuPG 2.2), for RSA and for EdDSA
 * legacy alike.
 */
export const config: openpgp.Config = { ...openpgp.config, preferredHashAlgorithm: hash.sha256 };

const weakHashes = new Map<number, string>([[hash.md5, "MD5"], [hash.sha1, "SHA-1"], [
  hash.ripemd,
  "RIPEMD-160",
]]);

/** Reads the one private key of an armored or binary key. */
export async function readKey(input: string | Uint8Array, fail: Fail): Promise<openpgp.PrivateKey> {
  const text = keyText(input, fail);
  let keys: openpgp.PrivateKey[];
  try {
    keys = text !== undefined
      ? await openpgp.readPrivateKeys({ armoredKeys: text, config })
      : await openpgp.readPrivateKeys({ binaryKeys: input as Uint8Array, config });
  } catch (cause) {
    const m = message(cause);
    if (/not of type private key/i.test(m)) {
      throw fail("this is not a private key block", unreadableKeyHint, cause);
    }
    if (/misformed armored text|unknown ascii armor|ascii armor/i.test(m)) {
      throw fail(
        "the armour cannot be parsed (not an OpenPGP private key block)",
        unreadableKeyHint,
        cause,
      );
    }
    throw fail(`the key cannot be parsed: ${m}`, unreadableKeyHint, cause);
  }
  if (keys.length !== 1) {
    throw fail(
      `it holds ${keys.length} private keys; mkrepo needs exactly one`,
      "export only the signing key: gpg --armor --export-secret-keys <id>",
    );
  }
  return keys[0];
}

/** Why the primary key is not valid at `now` (`cause`: what openpgp said). */
export async function primaryKeyProblem(
  key: openpgp.PrivateKey,
  now: Date,
  cause: unknown,
): Promise<string> {
  if (key.getCreationTime() > now) {
    return `the key is created in the future (${iso(key.getCreationTime())})`;
  }
  if (await key.isRevoked(undefined, undefined, now, config).catch(() => false)) {
    return "the key is revoked";
  }
  const expires = await key.getExpirationTime(undefined, config).catch(() => null);
  if (expires instanceof Date && expires <= now) return `the key expired on ${iso(expires)}`;
  return `the key is not valid: ${message(cause)}`;
}

/** Why no subkey can sign at `now`. */
export async function signingKeyProblem(key: openpgp.PrivateKey, now: Date): Promise<string> {
  const problems: string[] = [];
  for (const subkey of key.subkeys) {
    const binding = subkey.bindingSignatures.at(-1);
    const flags = binding?.keyFlags?.[0] ?? 0;
    if (!(flags & openpgp.enums.keyFlags.signData)) continue;
    const id = subkey.getKeyID().toHex().toUpperCase();
    const expires = await subkey.getExpirationTime(now, config).catch(() => null);
    if (subkey.revocationSignatures.length > 0) problems.push(`signing subkey ${id} is revoked`);
    else if (expires instanceof Date && expires <= now) {
      problems.push(`signing subkey ${id} expired on ${iso(expires)}`);
    } else problems.push(`signing subkey ${id} is not valid`);
  }
  return problems.length > 0
    ? `no usable signing key: ${problems.join(", ")}`
    : "the key has no signing-capable (sub)key";
}

/** Rejects MD5/SHA-1/RIPEMD self-signatures: apt with sqv and RHEL 9+ dnf/rpm refuse them. */
export async function checkSelfSignatures(
  key: openpgp.PrivateKey,
  signingKey: openpgp.PrivateKey | openpgp.Subkey,
  now: Date,
  fail: Fail,
): Promise<void> {
  const sigs: [string, openpgp.SignaturePacket | null | undefined][] = [];
  const primary = await key.getPrimaryUser(now, undefined, config).catch(() => undefined);
  sigs.push(["user ID self-signature", primary?.selfCertification]);
  if (signingKey !== key) {
    const binding = await (signingKey as openpgp.Subkey).verify(now, config);
    sigs.push(["signing subkey binding signature", binding]);
    sigs.push(["signing subkey back-signature", binding.embeddedSignature]);
  }
  for (const [what, sig] of sigs) {
    const name = sig?.hashAlgorithm ? weakHashes.get(sig.hashAlgorithm) : undefined;
    if (name) {
      throw fail(
        `the ${what} uses ${name}, which newer apt (sqv) and RHEL 9+ dnf reject`,
        `renew the self-signatures with SHA-512: gpg --cert-digest-algo SHA512 --quick-set-expire ` +
          `${key.getFingerprint().toUpperCase()} <expiry> (add '*' for subkeys) and export again, ` +
          `or ${newKeyHint}`,
      );
    }
  }
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The message of an error, or the value as text. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
