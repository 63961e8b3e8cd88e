/**
 * `mkrepo [update|remove] PATH...`: picks the signer from flags and environment, opens each
 * location and runs the update on it.
 * @module
 */
import type { CliOptions } from "./args.ts";
import { readConfig, type RunConfig } from "./config.ts";
import type { Reporter } from "./reporter.ts";
import { MkrepoError } from "../errors.ts";
import { forEachRepository } from "./locations.ts";
import { updateRepository } from "../repo/update.ts";
import type { RepoSummary } from "../repo/run_types.ts";
import { createSigner, type Signer } from "../sign/signer.ts";
import { readKeyText } from "../sign/key_file.ts";
import { removePattern } from "../plan/remove_patterns.ts";
import { defaultGpgKey } from "../sign/gpg_signer.ts";

async function signerFor(
  opts: CliOptions,
  config: RunConfig,
  reporter: Reporter,
): Promise<Signer | undefined> {
  if (!opts.sign) return undefined;
  if (opts.signKeyFile !== undefined) {
    const armoredKey = await readKeyText(opts.signKeyFile, {
      code: "signing",
      action: "read key file",
    });
    return await createSigner({ armoredKey, passphrase: config.signingPassphrase });
  }
  if (config.signingKey !== undefined) {
    return await createSigner({
      armoredKey: config.signingKey,
      passphrase: config.signingPassphrase,
    });
  }
  if (config.gpgSignKey !== undefined) return await createSigner({ gpgKeyId: config.gpgSignKey });
  const gpgDefault = await defaultGpgKey();
  if (gpgDefault !== undefined) {
    reporter.info("No key given: signing with gpg's default key, as the original mkrepo");
    return await createSigner({ gpgKeyId: gpgDefault });
  }
  throw new MkrepoError({
    code: "usage",
    action: "sign",
    reason: "--sign needs a key: set MKREPO_SIGNING_KEY, pass --sign-key-file FILE, set " +
      "GPG_SIGN_KEY, or give gpg a secret key (its default key is used, as the original mkrepo)",
    hint: "create one with: mkrepo keygen --name NAME --email EMAIL --out signing",
  });
}

/** How a refused run is told to act (repo/ knows no flag names). */
const SIGNING_HINTS = {
  passKey: "pass the key with MKREPO_SIGNING_KEY, --sign-key-file FILE or GPG_SIGN_KEY",
  noSign: "to publish it unsigned on purpose, run with --no-sign",
  replaceKey: "pass the recorded key, or run with --replace-key to sign with this one from now on",
  signForKey: "add --sign (with MKREPO_SIGNING_KEY, --sign-key-file FILE or GPG_SIGN_KEY), " +
    "or drop --public-key",
};

/** Updates (or removes from) each repository of `opts.paths`, pushing one summary per path. */
export async function runUpdate(
  opts: CliOptions,
  reporter: Reporter,
  summaries: RepoSummary[],
): Promise<void> {
  const config = readConfig();
  const signer = await signerFor(opts, config, reporter);
  if (signer) reporter.info(`Signing with ${signer.description}`);
  // A repository that records a signature is signed with the configured key without --sign.
  let configured: Promise<Signer | undefined> | undefined;
  const loadSigner = () =>
    configured ??= config.signingKey !== undefined || config.gpgSignKey !== undefined
      ? signerFor({ ...opts, sign: true }, config, reporter)
      : Promise.resolve(undefined);
  await forEachRepository(opts, config, async (storage, location) => {
    summaries.push(
      await updateRepository(storage, {
        path: location.display,
        events: reporter,
        force: opts.force,
        dryRun: opts.dryRun,
        concurrency: opts.concurrency ?? (location.kind === "s3" ? 16 : 4),
        signer,
        loadSigner,
        noSign: opts.noSign,
        replaceKey: opts.replaceKey,
        signingHints: SIGNING_HINTS,
        publicKeyName: opts.publicKey,
        graceSeconds: opts.graceSeconds,
        keep: opts.keep,
        keepDays: opts.keepDays,
        remove: opts.command === "remove" ? opts.patterns.map(removePattern) : undefined,
        publicRead: opts.s3.publicRead ? true : opts.s3.noPublicRead ? false : undefined,
        date: config.date,
        deb: {
          hashes: opts.deb.hashes,
          architectures: opts.deb.architectures,
          components: opts.deb.components,
          origin: opts.deb.origin ?? config.debOrigin,
          label: opts.deb.label ?? config.debLabel,
          description: opts.deb.description ?? config.debDescription,
        },
        rpm: { compression: opts.rpmCompression },
      }),
    );
  });
}
