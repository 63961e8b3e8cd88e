/**
 * Signature checks for `mkrepo verify`: a clear-signed InRelease or a detached signature
 * (Release.gpg, repomd.xml.asc) against the public key(s) a user gives. The signing side of
 * openpgp lives in openpgp_signer.ts and openpgp_key_checks.ts; with this file, the only
 * importers of `openpgp`.
 * @module
 */
import * as openpgp from "openpgp";

/** Outcome of a signature check. */
export interface SignatureCheck {
  ok: boolean;
  /** Why it failed ("signed by another key", "bad signature", …). */
  reason?: string;
  /** For a clear-signed text: the text that was signed. */
  signedText?: string;
}

async function keys(armored: string): Promise<openpgp.PublicKey[]> {
  return await openpgp.readKeys({ armoredKeys: armored });
}

async function check(
  verification: Awaited<ReturnType<typeof openpgp.verify>>,
): Promise<SignatureCheck> {
  if (verification.signatures.length === 0) return { ok: false, reason: "no signature" };
  const reasons: string[] = [];
  for (const s of verification.signatures) {
    try {
      await s.verified;
      return { ok: true };
    } catch (err) {
      reasons.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { ok: false, reason: reasons.join("; ") };
}

/** Checks a clear-signed text (InRelease) against armored public key(s). */
export async function verifyClearSigned(text: string, publicKeys: string): Promise<SignatureCheck> {
  try {
    const message = await openpgp.readCleartextMessage({ cleartextMessage: text });
    const result = await check(
      await openpgp.verify({ message, verificationKeys: await keys(publicKeys) }),
    );
    return { ...result, signedText: message.getText() };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** Checks a detached armored signature over bytes against armored public key(s). */
export async function verifyDetached(
  data: Uint8Array,
  armoredSignature: string,
  publicKeys: string,
): Promise<SignatureCheck> {
  try {
    const message = await openpgp.createMessage({ binary: data });
    const signature = await openpgp.readSignature({ armoredSignature });
    return await check(
      await openpgp.verify({ message, signature, verificationKeys: await keys(publicKeys) }),
    );
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Who made the signatures of an armored detached signature or a clear-signed text: the issuer
 * fingerprint of each signature packet (upper-case hex), or its long key id when the packet
 * has no fingerprint subpacket (older gpg). Used to derive a repository's signing settings.
 */
export async function signatureIssuers(armored: string): Promise<string[]> {
  // A clear-signed text ends with an armored signature block, read as a detached one.
  const at = armored.indexOf("-----BEGIN PGP SIGNATURE-----");
  const signature = await openpgp.readSignature({
    armoredSignature: at >= 0 ? armored.slice(at) : armored,
  });
  const out = new Set<string>();
  for (const p of signature.packets) {
    const fpr = p.issuerFingerprint as Uint8Array | null | undefined;
    out.add(
      (fpr && fpr.length > 0
        ? Array.from(fpr, (b) => b.toString(16).padStart(2, "0")).join("")
        : p.issuerKeyID.toHex()).toUpperCase(),
    );
  }
  return [...out];
}
