/**
 * The CLI entry point: parses the command line, runs the command, and is the only place that
 * turns an error into one line on stderr and an exit code (0 done, 1 failed, 2 usage error).
 * @module
 */
import { type CliOptions, parseCli } from "./args.ts";
import { helpText } from "./help.ts";
import { readConfig, type RunConfig } from "./config.ts";
import { Reporter } from "./reporter.ts";
import { formatError, MkrepoError, redactUrls } from "../errors.ts";
import { VERSION } from "../version.ts";
import { plural } from "../util/plural.ts";
import { parseLocation } from "../storage/location.ts";
import { openStorage } from "../storage/open_storage.ts";
import { s3Settings } from "./s3_options.ts";
import { runSettings } from "./settings_command.ts";
import { updateRepository } from "../repo/update.ts";
import { type VerifyReport, verifyRepository } from "../repo/verify.ts";
import type { RepoSummary } from "../repo/run_types.ts";
import { createSigner, type Signer } from "../sign/signer.ts";
import { readKeyText } from "../sign/key_file.ts";
import { runKeygen } from "./keygen_command.ts";
import { removePattern } from "../plan/remove_patterns.ts";
import { defaultGpgKey } from "../sign/gpg_signer.ts";

function print(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n"));
}

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
};

async function runUpdate(
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
  for (const arg of opts.paths) {
    const location = parseLocation(arg);
    const storage = await openStorage(location, s3Settings(opts, config, location.kind));
    try {
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
    } finally {
      await storage.close?.();
    }
  }
}

async function runVerify(opts: CliOptions): Promise<number> {
  const config = readConfig();
  let publicKey: string | undefined;
  if (opts.verifyKey !== undefined) {
    publicKey = await readKeyText(opts.verifyKey, { code: "usage", action: "read key file" });
  }
  const reports: VerifyReport[] = [];
  for (const arg of opts.paths) {
    const location = parseLocation(arg);
    const storage = await openStorage(location, s3Settings(opts, config, location.kind));
    try {
      reports.push(
        await verifyRepository(storage, location.display, {
          deep: opts.deep,
          publicKey,
          concurrency: opts.concurrency,
        }),
      );
    } finally {
      await storage.close?.();
    }
  }
  const ok = reports.every((r) => r.ok);
  if (opts.json) print(JSON.stringify({ ok, version: VERSION, repos: reports }, null, 2));
  else {
    for (const r of reports) {
      const c = r.checked;
      const what = `${r.kind ?? "unknown"} repository: ${plural(c.indexFiles, "index file")}, ` +
        `${plural(c.packages, "package")}${opts.deep ? " (hashes)" : " (sizes)"}, ` +
        plural(c.signatures, "signature");
      if (r.ok) console.error(`${r.path}: OK, ${what}`);
      else {
        console.error(`${r.path}: ${plural(r.problems.length, "problem")}, ${what}`);
        for (const p of r.problems) console.error(`  - ${p}`);
      }
      if (r.unreferenced.length > 0) {
        console.error(
          `${r.path}: ${
            plural(r.unreferenced.length, "unreferenced file")
          } (named by no index, not pending deletion; a run indexes packages among them and schedules files under dists/ and repodata/ for deletion):`,
        );
        for (const key of r.unreferenced) console.error(`  - ${key}`);
      }
    }
  }
  return ok ? 0 : 1;
}

/**
 * The exit code of a failure: 2 usage error; 3 a publication that failed and could not be
 * undone (the repository is partly new until the next run); 1 any other failure (the published
 * repository is left as it was).
 */
function exitCode(failure: unknown): number {
  if (!(failure instanceof MkrepoError)) return 1;
  return failure.code === "usage" ? 2 : failure.code === "partial-publish" ? 3 : 1;
}

/** The `--json` object of a run that failed before it had anything to report. */
function printJsonError(err: unknown): void {
  print(
    JSON.stringify(
      { ok: false, version: VERSION, repos: [], error: errorMessage(err), exitCode: exitCode(err) },
      null,
      2,
    ),
  );
}

function errorMessage(err: unknown): string {
  return redactUrls(err instanceof Error ? err.message : String(err));
}

/** Runs mkrepo with the given arguments; returns the exit code. Never exits by itself. */
export async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (err) {
    const end = argv.indexOf("--");
    if ((end < 0 ? argv : argv.slice(0, end)).includes("--json")) printJsonError(err);
    console.error(formatError(err));
    return 2;
  }
  if (opts.help) {
    print(helpText());
    return 0;
  }
  if (opts.version) {
    print(`mkrepo ${VERSION}`);
    return 0;
  }
  const reporter = new Reporter({
    quiet: opts.quiet,
    verbose: opts.verbose,
    tty: Deno.stderr.isTerminal(),
  });
  const summaries: RepoSummary[] = [];
  let failure: unknown;
  try {
    if (opts.command === "keygen") {
      const keys = await runKeygen(opts);
      if (keys !== undefined) print(keys);
    } else if (opts.command === "settings") print(await runSettings(opts));
    else if (opts.command === "verify") return await runVerify(opts);
    else await runUpdate(opts, reporter, summaries);
  } catch (err) {
    failure = err;
  }
  reporter.finish();
  const updating = opts.command === "update" || opts.command === "remove";
  if (opts.json && updating) {
    print(JSON.stringify(
      {
        ok: failure === undefined,
        version: VERSION,
        dryRun: opts.dryRun,
        repos: summaries,
        ...(failure !== undefined
          ? { error: errorMessage(failure), exitCode: exitCode(failure) }
          : {}),
      },
      null,
      2,
    ));
  } else if (opts.json && failure !== undefined) printJsonError(failure);
  if (failure !== undefined) {
    console.error(formatError(failure, { verbose: opts.verbose }));
    return exitCode(failure);
  }
  if (!opts.json && updating) {
    for (const s of summaries) {
      if (s.upToDate) continue;
      reporter.info(
        `${s.path}: ${s.kind} repository, ${
          plural(s.packages, "package")
        } (${s.added} added, ${s.changed} changed, ` +
          `${s.removed} removed${s.dropped ? `, ${s.dropped} dropped` : ""}${
            s.malformed.length ? `, ${s.malformed.length} malformed skipped` : ""
          }), ` +
          `${s.dryRun ? "would write" : "wrote"} ${plural(s.written.length, "file")}`,
      );
    }
  }
  return 0;
}
