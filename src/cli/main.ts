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
import { parseLocation } from "../storage/location.ts";
import { openStorage, type S3Settings } from "../storage/open_storage.ts";
import { updateRepository } from "../repo/update.ts";
import { type VerifyReport, verifyRepository } from "../repo/verify.ts";
import type { RepoSummary } from "../repo/run_types.ts";
import { createSigner, type Signer } from "../sign/signer.ts";
import { generateKey } from "../sign/keygen.ts";

function print(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n"));
}

function s3Settings(opts: CliOptions, config: RunConfig): S3Settings {
  let endpoint = opts.s3.endpoint ?? config.s3Endpoint;
  if (endpoint !== undefined && !/^[a-z]+:\/\//i.test(endpoint)) endpoint = `https://${endpoint}`;
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new MkrepoError({
      code: "usage",
      action: "use endpoint",
      key: endpoint,
      reason: "it is not a valid URL",
      hint: "give --s3-endpoint (or AWS_ENDPOINT_URL) as http[s]://host[:port]",
    });
  }
  return {
    endpoint,
    region: opts.s3.region,
    accessKeyId: opts.s3.accessKeyId,
    secretAccessKey: opts.s3.secretAccessKey,
    publicRead: opts.s3.publicRead,
    storageClass: opts.s3.storageClass,
    sse: opts.s3.sse as S3Settings["sse"],
    sseKmsKeyId: opts.s3.sseKmsKeyId,
    concurrency: opts.concurrency,
  };
}

async function signerFor(opts: CliOptions, config: RunConfig): Promise<Signer | undefined> {
  if (!opts.sign) return undefined;
  if (opts.signKeyFile !== undefined) {
    let armoredKey: string;
    try {
      armoredKey = await Deno.readTextFile(opts.signKeyFile);
    } catch (err) {
      throw new MkrepoError({
        code: "signing",
        action: "read key file",
        key: opts.signKeyFile,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
    return await createSigner({ armoredKey, passphrase: config.signingPassphrase });
  }
  if (config.signingKey !== undefined) {
    return await createSigner({
      armoredKey: config.signingKey,
      passphrase: config.signingPassphrase,
    });
  }
  if (config.gpgSignKey !== undefined) return await createSigner({ gpgKeyId: config.gpgSignKey });
  throw new MkrepoError({
    code: "usage",
    action: "sign",
    reason:
      "--sign needs a key: set MKREPO_SIGNING_KEY, pass --sign-key-file FILE, or set GPG_SIGN_KEY",
    hint: "create one with: mkrepo keygen --name NAME --email EMAIL --out signing",
  });
}

async function runUpdate(
  opts: CliOptions,
  reporter: Reporter,
  summaries: RepoSummary[],
): Promise<void> {
  const config = readConfig();
  const signer = await signerFor(opts, config);
  if (signer) reporter.info(`Signing with ${signer.description}`);
  for (const arg of opts.paths) {
    const location = parseLocation(arg);
    const storage = await openStorage(location, s3Settings(opts, config));
    try {
      summaries.push(
        await updateRepository(storage, {
          path: location.display,
          events: reporter,
          force: opts.force,
          dryRun: opts.dryRun,
          concurrency: opts.concurrency ?? (location.kind === "s3" ? 16 : 4),
          signer,
          publicKeyName: opts.publicKey,
          publicRead: opts.s3.publicRead,
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

async function runKeygen(opts: CliOptions): Promise<void> {
  const { name, email, type, out } = opts.keygen;
  if (!name || !email) {
    throw new MkrepoError({
      code: "usage",
      action: "create key",
      reason: "keygen needs --name and --email",
      hint: 'e.g. mkrepo keygen --name "My Repo" --email repo@example.com --out signing',
    });
  }
  const key = await generateKey({ name, email, type });
  if (out) {
    await Deno.writeTextFile(`${out}.key`, key.privateKeyArmored, { mode: 0o600, createNew: true });
    await Deno.writeTextFile(`${out}.asc`, key.publicKeyArmored, { createNew: true });
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `Wrote ${out}.key (private; keep it secret, e.g. in MKREPO_SIGNING_KEY) and ${out}.asc (public)\n` +
          `Fingerprint: ${key.fingerprint}\n`,
      ),
    );
  } else {
    print(key.privateKeyArmored);
    print(key.publicKeyArmored);
  }
}

async function runVerify(opts: CliOptions): Promise<number> {
  const config = readConfig();
  let publicKey: string | undefined;
  if (opts.verifyKey !== undefined) {
    try {
      publicKey = await Deno.readTextFile(opts.verifyKey);
    } catch (err) {
      throw new MkrepoError({
        code: "usage",
        action: "read key file",
        key: opts.verifyKey,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }
  const reports: VerifyReport[] = [];
  for (const arg of opts.paths) {
    const location = parseLocation(arg);
    const storage = await openStorage(location, s3Settings(opts, config));
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
      const what =
        `${r.kind ?? "unknown"} repository: ${c.indexFiles} index files, ${c.packages} packages` +
        `${opts.deep ? " (hashes)" : " (sizes)"}, ${c.signatures} signatures`;
      if (r.ok) console.error(`${r.path}: OK, ${what}`);
      else {
        console.error(`${r.path}: ${r.problems.length} problem(s), ${what}`);
        for (const p of r.problems) console.error(`  - ${p}`);
      }
    }
  }
  return ok ? 0 : 1;
}

/** Runs mkrepo with the given arguments; returns the exit code. Never exits by itself. */
export async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (err) {
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
    if (opts.command === "keygen") await runKeygen(opts);
    else if (opts.command === "verify") return await runVerify(opts);
    else await runUpdate(opts, reporter, summaries);
  } catch (err) {
    failure = err;
  }
  reporter.finish();
  if (opts.json && opts.command === "update") {
    print(JSON.stringify(
      {
        ok: failure === undefined,
        version: VERSION,
        dryRun: opts.dryRun,
        repos: summaries,
        ...(failure !== undefined
          ? { error: redactUrls(failure instanceof Error ? failure.message : String(failure)) }
          : {}),
      },
      null,
      2,
    ));
  }
  if (failure !== undefined) {
    console.error(formatError(failure, { verbose: opts.verbose }));
    return failure instanceof MkrepoError && failure.code === "usage" ? 2 : 1;
  }
  if (!opts.json && opts.command === "update") {
    for (const s of summaries) {
      if (s.upToDate) continue;
      reporter.info(
        `${s.path}: ${s.kind} repository, ${s.packages} packages (${s.added} added, ${s.changed} changed, ` +
          `${s.removed} removed${
            s.malformed.length ? `, ${s.malformed.length} malformed skipped` : ""
          }), ` +
          `${s.dryRun ? "would write" : "wrote"} ${s.written.length} files`,
      );
    }
  }
  return 0;
}
