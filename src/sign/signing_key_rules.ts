/**
 * Which private keys mkrepo signs with, checked on plain values before and beside openpgp.js:
 * the key text (armour, CI-style "\\n" escapes, public or several blocks) and the algorithm
 * (what gpgv on Debian 12, apt and dnf accept). No `openpgp` import: the signer passes values.
 * @module
 */
import type { MkrepoError } from "../errors.ts";

/** Builds the "cannot use signing key" error of the signer. */
export type Fail = (reason: string, hint?: string, cause?: unknown) => MkrepoError;

/** An algorithm as openpgp's `getAlgorithmInfo()` describes it. */
export interface AlgorithmInfo {
  algorithm: string;
  bits?: number;
  curve?: string;
}

/** How a key reaches mkrepo, ending the hints about keys. */
const passKeyHint = "pass it in MKREPO_SIGNING_KEY or with --sign-key-file FILE";

/** The hint given with every key that mkrepo cannot sign with. */
export const newKeyHint = "create a new key with `mkrepo keygen --name NAME --email EMAIL " +
  `--out signing\` (ed25519 or rsa4096) and ${passKeyHint.replace("it", "signing.key")}`;

/** The hint for a key whose text is not an OpenPGP private key. */
export const unreadableKeyHint = "give the armored private key, from `-----BEGIN PGP PRIVATE KEY " +
  "BLOCK-----` to its END line, as `gpg --armor --export-secret-keys <id>` prints it or " +
  `\`mkrepo keygen\` writes it; ${passKeyHint}`;

/** The hint for a key that expired: extend it, or make a new one. */
export function expiredKeyHint(fingerprint: string): string {
  return `extend it: gpg --quick-set-expire ${fingerprint} 2y, and the same with '*' after ` +
    "2y for its subkeys, then export it again (gpg --armor --export-secret-keys " +
    `${fingerprint}); or ${newKeyHint}`;
}

/** The hint for a key whose bytes were changed on the way. */
const corruptedKeyHint = "copy the key again from where it was exported (a CI secret or a file " +
  `edited by hand may have lost or changed characters), or export it again; ${passKeyHint}`;

/** CRC-24 of OpenPGP armour (RFC 4880, 6.1). */
function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * Throws when an armored key carries a checksum line (`=XXXX`, as gpg writes it) that does not
 * match its content: the text was changed after export, which openpgp.js (not checking the
 * checksum) would otherwise report as anything from a bad self-signature to a wrong passphrase.
 */
function checkArmourChecksum(text: string, fail: Fail): void {
  const armour =
    /-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\s]*?)\r?\n=([A-Za-z0-9+/]{4})\r?\n-----END PGP PRIVATE KEY BLOCK-----/
      .exec(text);
  if (!armour) return;
  let body: Uint8Array;
  let sum: Uint8Array;
  try {
    body = Uint8Array.from(atob(armour[1].replace(/\s/g, "")), (c) => c.charCodeAt(0));
    sum = Uint8Array.from(atob(armour[2]), (c) => c.charCodeAt(0));
  } catch {
    return; // not base64: openpgp.js reports it
  }
  if (crc24(body) !== ((sum[0] << 16) | (sum[1] << 8) | sum[2])) {
    throw fail(
      "the key is corrupted: its armour checksum does not match its content",
      corruptedKeyHint,
    );
  }
}

/**
 * The armored text of a key input (undefined for a binary key), with literal "\\n" escapes
 * resolved; throws for an empty key, a public key, or several key blocks.
 */
export function keyText(input: string | Uint8Array, fail: Fail): string | undefined {
  let text = typeof input === "string" ? input : undefined;
  if (input instanceof Uint8Array) {
    const head = new TextDecoder().decode(input.subarray(0, 64)).replace(/^\uFEFF/, "");
    if (head.trimStart().startsWith("-----")) text = new TextDecoder().decode(input);
  }
  // CI secrets sometimes hold the armour on one line with literal "\n" escapes.
  if (text !== undefined && !text.includes("\n") && text.includes("\\n")) {
    text = text.replaceAll("\\n", "\n");
  }
  if (text !== undefined && text.trim() === "") throw fail("the key is empty");
  if (text?.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
    throw fail(
      "this is a public key, not a private key",
      "export the private key (gpg --armor --export-secret-keys <id>) or use `mkrepo keygen`",
    );
  }
  const blocks = text?.match(/^-----BEGIN PGP /gm)?.length ?? 0;
  if (blocks > 1) {
    throw fail(
      `it holds ${blocks} key blocks; mkrepo needs exactly one private key`,
      "export only the signing key: gpg --armor --export-secret-keys <id>",
    );
  }
  if (text !== undefined) checkArmourChecksum(text, fail);
  return text;
}

/** Throws unless the (sub)key's algorithm is one apt, dnf and gpgv on Debian 12 all accept. */
export function checkAlgorithm(info: AlgorithmInfo, what: string, fail: Fail): void {
  switch (info.algorithm) {
    case "rsaEncryptSign":
    case "rsaSign":
      if ((info.bits ?? 0) < 2048) {
        throw fail(
          `the ${what} is RSA ${info.bits} bits; apt and dnf require at least 2048 bits`,
          newKeyHint,
        );
      }
      return;
    case "eddsaLegacy":
      if (info.curve === "ed25519Legacy") return;
      break;
    case "ecdsa":
      if (info.curve === "nistP256" || info.curve === "nistP384" || info.curve === "nistP521") {
        return;
      }
      break;
    case "ed25519":
    case "ed448":
      throw fail(
        `the ${what} uses the RFC 9580 ${info.algorithm} algorithm, which gpgv on Debian 12 ` +
          "does not know",
        newKeyHint + "; it makes the v4 EdDSA form every verifier reads",
      );
  }
  const curve = info.curve ? ` ${info.curve}` : "";
  throw fail(`the ${what} uses ${info.algorithm}${curve}, which apt or dnf reject`, newKeyHint);
}

/** Short algorithm name for messages: rsa4096, ed25519, ecdsa-nistP256. */
export function algorithmName(info: AlgorithmInfo): string {
  if (info.algorithm.startsWith("rsa")) return `rsa${info.bits}`;
  if (info.algorithm === "eddsaLegacy") return "ed25519";
  return `${info.algorithm}${info.curve ? `-${info.curve}` : ""}`;
}
