/**
 * The CLI: parses the command line, runs the command, and is the only place that turns an error
 * into one line on stderr and an exit code (0 done, 1 failed, 2 usage error, 3 partly
 * published). Each command's module is imported only when it runs, so `--help` loads no stage of
 * the pipeline. The program's entry is main.ts, which loads this module unless it answers
 * `--version` itself.
 * @module
 */
import { type CliOptions, parseCli } from "./args.ts";
import { helpText } from "./help.ts";
import { Reporter } from "./reporter.ts";
import { formatError, MkrepoError, redactUrls } from "../errors.ts";
import { VERSION } from "../version.ts";
import { plural } from "../util/plural.ts";
import type { RepoSummary } from "../repo/run_types.ts";
import { print } from "./output.ts";

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
export async function runCli(argv: readonly string[]): Promise<number> {
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
      const keys = await (await import("./keygen_command.ts")).runKeygen(opts);
      if (keys !== undefined) print(keys);
    } else if (opts.command === "settings") {
      print(await (await import("./settings_command.ts")).runSettings(opts));
    } else if (opts.command === "verify") {
      return await (await import("./verify_command.ts")).runVerify(opts);
    } else await (await import("./update_command.ts")).runUpdate(opts, reporter, summaries);
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
