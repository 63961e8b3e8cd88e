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

/** The hint given with every key that mkrepo cannot sign with. */
export const newKeyHint = "create a new key with `mkrepo keygen` (ed25519 or rsa4096)";

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
