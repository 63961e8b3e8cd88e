/**
 * `mkrepo keygen`: a new signing key that gpgv, apt (Debian 12 and newer) and dnf accept:
 * v4 Ed25519 in the EdDSA legacy form, or RSA 4096, SHA-512 self-signatures.
 * @module
 */

import { MkrepoError } from "../errors.ts";
import type { GeneratedKey } from "./openpgp_signer.ts";

export type { GeneratedKey } from "./openpgp_signer.ts";

/** Options of generateKey(). */
export interface KeygenOptions {
  /** Real name of the User ID, e.g. "Example Repository Signing Key". */
  name: string;
  /** E-mail of the User ID (required: OpenPGP tools expect `Name <email>`). */
  email: string;
  type: "ed25519" | "rsa4096";
  /** Encrypts the private key when given. */
  passphrase?: string;
  /** Expiry date; omitted = the key never expires. */
  expires?: Date;
  /** Creation time (default: now). */
  now?: Date;
}

/** Generates a signing key pair; throws MkrepoError (code "usage") on bad options. */
export async function generateKey(options: KeygenOptions): Promise<GeneratedKey> {
  const usage = (reason: string, hint?: string) =>
    new MkrepoError({ code: "usage", action: "generate key", reason, hint });
  const name = options.name.trim();
  const email = options.email.trim();
  if (name === "" || /[<>\n\r]/.test(name)) {
    throw usage(
      `invalid name ${JSON.stringify(options.name)}`,
      "give a name without < > or newlines",
    );
  }
  if (!/^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/.test(email)) {
    throw usage(`invalid e-mail address ${JSON.stringify(options.email)}`, "e.g. repo@example.com");
  }
  if (options.type !== "ed25519" && options.type !== "rsa4096") {
    throw usage(`unknown key type ${JSON.stringify(options.type)}`, "use ed25519 or rsa4096");
  }
  const created = options.now ?? new Date();
  let keyExpirationTime = 0;
  if (options.expires) {
    keyExpirationTime = Math.floor((options.expires.getTime() - created.getTime()) / 1000);
    if (!(keyExpirationTime > 0)) {
      throw usage(`expiry ${options.expires.toISOString()} is not after the creation time`);
    }
  }
  const { generateOpenpgpKey } = await import("./openpgp_signer.ts");
  return await generateOpenpgpKey({
    name,
    email,
    algorithm: options.type,
    passphrase: options.passphrase,
    created,
    keyExpirationTime,
  });
}
