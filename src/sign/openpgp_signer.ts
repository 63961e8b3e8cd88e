/**
 * Signing with openpgp.js (with openpgp_verify.ts, the only importers of `openpgp`): reads and
 * checks a private key (value rules in signing_key_rules.ts), then makes v4 SHA-256 signatures
 * that gpgv, apt and dnf accept. Also generates keys.
 * @module
 */

import * as openpgp from "openpgp";
import { MkrepoError } from "../errors.ts";
import type { Signer } from "./signer.ts";
import { clearSignBody } from "./clear_sign_body.ts";
import {
  algorithmName,
  checkAlgorithm,
  expiredKeyHint,
  type Fail,
  keyText,
  newKeyHint,
  unreadableKeyHint,
} from "./signing_key_rules.ts";

/** Options of createOpenpgpSigner(). */
export interface OpenpgpSignerOptions {
  /** The private key: armored text, or the bytes of an armored or binary key file. */
  key: string | Uint8Array;
  /** Where the key comes from ("MKREPO_SIGNING_KEY" or a file path), for messages. */
  source: string;
  passphrase?: string;
  /** Time at which the key must be valid and signatures are dated (default: now). */
  now?: Date;
}

/** A generated key pair (what keygen.ts returns). */
export interface GeneratedKey {
  privateKeyArmored: string;
  publicKeyArmored: string;
  /** Fingerprint of the primary key, upper-case hex. */
  fingerprint: string;
}

const hash = openpgp.enums.hash;
// SHA-256 is always usable: openpgp picks it whatever the key's hash preferences (which may
// list SHA-3, unknown to GnuPG 2.2), for RSA and for EdDSA legacy alike.
const config: openpgp.Config = { ...openpgp.config, preferredHashAlgorithm: hash.sha256 };
const strongHashes = new Set<number>([hash.sha256, hash.sha384, hash.sha512]);
const weakHashes = new Map<number, string>([[hash.md5, "MD5"], [hash.sha1, "SHA-1"], [
  hash.ripemd,
  "RIPEMD-160",
]]);

/** Reads, decrypts and checks a private key; the returned Signer signs with it. */
export async function createOpenpgpSigner(options: OpenpgpSignerOptions): Promise<Signer> {
  const fail = (reason: string, hint?: string, cause?: unknown): MkrepoError =>
    new MkrepoError({
      code: "signing",
      key: options.source,
      action: "use signing key",
      reason,
      hint,
      cause,
    });
  const now = options.now ?? new Date();
  let key = await readKey(options.key, fail);
  const fingerprint = key.getFingerprint().toUpperCase();
  if (key.keyPacket.version !== 4) {
    throw fail(`it is a v${key.keyPacket.version} key; gpgv on Debian 12 reads v4 keys only`);
  }
  checkAlgorithm(key.getAlgorithmInfo(), "primary key", fail);

  try {
    await key.verifyPrimaryKey(now, undefined, config);
  } catch (cause) {
    const problem = await primaryKeyProblem(key, now, cause);
    const hint = /expired/.test(problem) ? expiredKeyHint(fingerprint) : newKeyHint;
    throw fail(problem, hint, cause);
  }
  let signingKey: openpgp.PrivateKey | openpgp.Subkey;
  try {
    signingKey = await key.getSigningKey(undefined, now, undefined, { ...config, minRSABits: 0 });
  } catch (cause) {
    const problem = await signingKeyProblem(key, now);
    const hint = /expired/.test(problem) ? expiredKeyHint(fingerprint) : newKeyHint;
    throw fail(problem, hint, cause);
  }
  if (signingKey !== key) checkAlgorithm(signingKey.getAlgorithmInfo(), "signing subkey", fail);
  await checkSelfSignatures(key, signingKey, now, fail);

  // A key exported with --export-secret-subkeys has a "dummy" primary without secret material.
  const locked = key.getKeys().some(({ keyPacket }) =>
    "isDummy" in keyPacket && !keyPacket.isDummy() && !keyPacket.isDecrypted()
  );
  if (locked) {
    if (options.passphrase === undefined || options.passphrase === "") {
      throw fail(
        "the key is protected by a passphrase, and none is given",
        "set MKREPO_SIGNING_PASSPHRASE",
      );
    }
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase: options.passphrase, config });
    } catch (cause) {
      const wrong = /incorrect key passphrase/i.test(String(cause));
      throw fail(
        wrong ? "wrong passphrase" : `cannot decrypt the key: ${message(cause)}`,
        wrong ? "check MKREPO_SIGNING_PASSPHRASE" : undefined,
        cause,
      );
    }
  }

  const signingKeyIDs = [signingKey.getKeyID()];
  const sub = signingKey === key
    ? ""
    : ` (signing subkey ${signingKey.getKeyID().toHex().toUpperCase()})`;
  const userID = key.getUserIDs()[0];
  const description = `${algorithmName(signingKey.getAlgorithmInfo())} key ${fingerprint}${sub}` +
    (userID ? ` "${userID}"` : "");
  const publicKey = key.toPublic().armor(config);
  const signDetached = async (data: openpgp.Message<string | Uint8Array>) => {
    let signature: unknown;
    try {
      signature = await openpgp.sign({
        message: data,
        signingKeys: key,
        signingKeyIDs,
        detached: true,
        date: options.now ?? new Date(),
        format: "object",
        config,
      });
    } catch (cause) {
      throw new MkrepoError({
        code: "signing",
        key: options.source,
        reason: message(cause),
        cause,
      });
    }
    // openpgp's typings say Message, but a detached signature comes back as a Signature.
    if (!(signature instanceof openpgp.Signature)) throw new Error("openpgp: expected a Signature");
    return signature;
  };

  return {
    fingerprint,
    description,
    publicKeyArmored: () => publicKey,
    async clearSign(text: string): Promise<string> {
      // A text-mode (0x01) signature over the body, as in a clear signature. The body has no
      // trailing blanks (clearSignBody), so this hashes exactly what the cleartext rules hash.
      // The armour is written here: openpgp's CleartextMessage.armor() emits CRLF line endings.
      const body = clearSignBody(text);
      const signature = await signDetached(await openpgp.createMessage({ text: body }));
      const packet = checkSignature(signature, options.source);
      const hashName = openpgp.enums.read(hash, packet.hashAlgorithm!).toUpperCase();
      return `-----BEGIN PGP SIGNED MESSAGE-----\nHash: ${hashName}\n\n` +
        `${body.replace(/^-/gm, "- -")}\n${signature.armor(config)}`;
    },
    async detachSign(data: Uint8Array | string): Promise<string> {
      const binary = typeof data === "string" ? new TextEncoder().encode(data) : data;
      const signature = await signDetached(await openpgp.createMessage({ binary }));
      checkSignature(signature, options.source);
      return signature.armor(config);
    },
  };
}

/** Generates a v4 key pair whose primary key certifies and signs (no subkeys). */
export async function generateOpenpgpKey(options: {
  name: string;
  email: string;
  algorithm: "ed25519" | "rsa4096";
  passphrase?: string;
  created: Date;
  /** Seconds from creation; 0 = never expires. */
  keyExpirationTime: number;
}): Promise<GeneratedKey> {
  const algorithm = options.algorithm === "ed25519"
    ? { type: "ecc" as const, curve: "ed25519Legacy" as const }
    : { type: "rsa" as const, rsaBits: 4096 };
  const pair = await openpgp.generateKey({
    ...algorithm,
    userIDs: [{ name: options.name, email: options.email }],
    passphrase: options.passphrase || undefined,
    date: options.created,
    keyExpirationTime: options.keyExpirationTime,
    subkeys: [],
    format: "object",
    config: { ...config, v6Keys: false },
  });
  return {
    privateKeyArmored: pair.privateKey.armor(config),
    publicKeyArmored: pair.publicKey.armor(config),
    fingerprint: pair.privateKey.getFingerprint().toUpperCase(),
  };
}

async function readKey(input: string | Uint8Array, fail: Fail): Promise<openpgp.PrivateKey> {
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

async function primaryKeyProblem(key: openpgp.PrivateKey, now: Date, cause: unknown) {
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

async function signingKeyProblem(key: openpgp.PrivateKey, now: Date): Promise<string> {
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
async function checkSelfSignatures(
  key: openpgp.PrivateKey,
  signingKey: openpgp.PrivateKey | openpgp.Subkey,
  now: Date,
  fail: Fail,
) {
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

function checkSignature(signature: openpgp.Signature, source: string) {
  const packet = signature.packets[0];
  if (
    signature.packets.length !== 1 || packet.version !== 4 ||
    !strongHashes.has(packet.hashAlgorithm ?? 0)
  ) {
    throw new MkrepoError({
      code: "internal",
      key: source,
      reason: `openpgp made a v${packet.version} signature with hash ${packet.hashAlgorithm}; ` +
        "expected v4 with SHA-256 or stronger",
    });
  }
  return packet;
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
