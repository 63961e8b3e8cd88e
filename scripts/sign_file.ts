/**
 * Detach-signs files with mkrepo's own signer (openpgp.js, no gpg): each FILE gets an armored
 * FILE.asc. The key is the armored private key in MKREPO_SIGNING_KEY (passphrase, if any, in
 * MKREPO_SIGNING_PASSPHRASE), as for `mkrepo --sign`. Used by the release workflow for SHA256SUMS.
 *
 *     deno run --allow-read --allow-write --allow-env scripts/sign_file.ts [--public-key OUT] FILE...
 *
 * `--public-key OUT` also writes the signing public key to OUT, so users can check the files.
 * @module
 */
import { parseArgs } from "node:util";
import { createSigner } from "../mod.ts";

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { "public-key": { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0) {
    console.error("usage: sign_file.ts [--public-key OUT] FILE...");
    return 2;
  }
  const armoredKey = Deno.env.get("MKREPO_SIGNING_KEY");
  if (!armoredKey) {
    console.error("sign_file: set MKREPO_SIGNING_KEY to an armored OpenPGP private key");
    return 2;
  }
  const signer = await createSigner({
    armoredKey,
    passphrase: Deno.env.get("MKREPO_SIGNING_PASSPHRASE") || undefined,
  });
  console.error(`sign_file: signing with ${signer.description}`);
  for (const file of positionals) {
    const signature = await signer.detachSign(await Deno.readFile(file));
    await Deno.writeTextFile(`${file}.asc`, signature);
    console.error(`sign_file: wrote ${file}.asc`);
  }
  if (values["public-key"] !== undefined) {
    await Deno.writeTextFile(values["public-key"], await signer.publicKeyArmored());
    console.error(`sign_file: wrote ${values["public-key"]} (fingerprint ${signer.fingerprint})`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (err) {
    console.error(`sign_file: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exitCode = 1;
  }
}
