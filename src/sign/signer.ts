/**
 * The Signer interface used to sign repository metadata, and createSigner(), which picks
 * openpgp.js (a key given as text or file) or the gpg compatibility path (GPG_SIGN_KEY).
 * @module
 */

import { MkrepoError } from "../errors.ts";
import { readKeyFile } from "./key_file.ts";

/** Signs repository metadata: InRelease, Release.gpg, repomd.xml.asc. */
export interface Signer {
  /** Clear-signs a text (LF line endings) the way apt expects InRelease to be. */
  clearSign(text: string): Promise<string>;
  /** Armored detached signature over the exact bytes (a string is signed as UTF-8). */
  detachSign(data: Uint8Array | string): Promise<string>;
  /** The armored public key, to publish next to the metadata. */
  publicKeyArmored(): Promise<string> | string;
  /** Fingerprint of the primary key, upper-case hex. */
  readonly fingerprint: string;
  /** One line for logs, e.g. `ed25519 key 0123…CDEF "Repo <repo@example.com>"`. Never secret. */
  readonly description: string;
}

/** Where the signing key comes from; the CLI fills this from its options and environment. */
export interface SignerOptions {
  /** Armored private key (MKREPO_SIGNING_KEY). */
  armoredKey?: string;
  /** Path of a private key file, armored or binary (--sign-key-file). */
  keyFile?: string;
  /** Passphrase of the private key (MKREPO_SIGNING_PASSPHRASE). */
  passphrase?: string;
  /** Key in the user's gpg keyring (GPG_SIGN_KEY): signing then spawns gpg. */
  gpgKeyId?: string;
  /** Time at which the key must be valid and signatures are dated (default: now). */
  now?: Date;
  /** gpg program for the gpgKeyId path (default "gpg" from PATH). */
  gpgPath?: string;
  /** GNUPGHOME for the spawned gpg (default: gpg's own, ~/.gnupg). */
  gpgHome?: string;
  /** Extra environment variables for the spawned gpg. */
  env?: Record<string, string>;
}

/** Opens the signing key described by `options` and checks it before anything is signed. */
export async function createSigner(options: SignerOptions): Promise<Signer> {
  if (options.armoredKey !== undefined && options.keyFile !== undefined) {
    throw new MkrepoError({
      code: "usage",
      reason: "both MKREPO_SIGNING_KEY and a signing key file are given",
      hint: "give the key one way only",
    });
  }
  if (options.armoredKey !== undefined || options.keyFile !== undefined) {
    const signer = options.armoredKey !== undefined
      ? await (await import("./openpgp_signer.ts")).createOpenpgpSigner({
        key: options.armoredKey,
        source: "MKREPO_SIGNING_KEY",
        passphrase: options.passphrase,
        now: options.now,
      })
      : await (await import("./openpgp_signer.ts")).createOpenpgpSigner({
        key: await readKeyFile(options.keyFile!, {
          code: "signing",
          notFound: "not-found",
          action: "read signing key file",
        }),
        source: options.keyFile!,
        passphrase: options.passphrase,
        now: options.now,
      });
    if (options.gpgKeyId !== undefined && !sameKey(options.gpgKeyId, signer.fingerprint)) {
      throw new MkrepoError({
        code: "usage",
        reason:
          `GPG_SIGN_KEY names ${options.gpgKeyId}, but the openpgp key is ${signer.fingerprint}`,
        hint: "unset GPG_SIGN_KEY (MKREPO_SIGNING_KEY does not need gpg) or make both name one key",
      });
    }
    return signer;
  }
  if (options.gpgKeyId !== undefined) {
    return await (await import("./gpg_signer.ts")).createGpgSigner({
      keyId: options.gpgKeyId,
      gpgPath: options.gpgPath,
      gpgHome: options.gpgHome,
      env: options.env,
    });
  }
  throw new MkrepoError({
    code: "usage",
    reason: "--sign needs a key, and none is given",
    hint: "set MKREPO_SIGNING_KEY to an armored private key (create one with `mkrepo keygen`), " +
      "pass --sign-key-file, or set GPG_SIGN_KEY to a key of your gpg keyring",
  });
}

/** True when `id` (fingerprint, long or short key ID, optional 0x) names the fingerprint. */
function sameKey(id: string, fingerprint: string): boolean {
  const hex = id.replace(/^0x/i, "").replace(/\s/g, "").toUpperCase();
  return hex.length >= 8 && /^[0-9A-F]+$/.test(hex) && fingerprint.endsWith(hex);
}
