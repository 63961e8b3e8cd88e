/**
 * Stage `sign/`: OpenPGP. The `Signer` interface and `createSigner()` (signer.ts), the openpgp.js
 * signer and the gpg compatibility path, signature checks (openpgp_verify.ts), key generation,
 * the rules a signing key must meet, and reading a key file (key_file.ts).
 *
 * May import: ground only (`util/`, `errors.ts`).
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
