/**
 * Signing with openpgp.js (with openpgp_key_checks.ts and openpgp_verify.ts, the only importers
 * of `openpgp`): reads and checks a private key (openpgp_key_checks.ts; value rules in
 * signing_key_rules.ts), then makes v4 SHA-256 signatures that gpgv, apt and dnf accept. Also
 * generates keys.
 * @module
 */

import * as openpgp from "openpgp";
import { MkrepoError } from "../errors.ts";
import type { Signer } from "./signer.ts";
import { clearSignBody } from "./clear_sign_body.ts";
import { algorithmName, checkAlgorithm, expiredKeyHint, newKeyHint } from "./signing_key_rules.ts";
import {
  checkSelfSignatures,
  config,
  message,
  primaryKeyProblem,
  readKey,
  signingKeyProblem,
} from "./openpgp_key_checks.ts";

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
const strongHashes = new Set<number>([hash.sha256, hash.sha384, hash.sha512]);

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
