/**
 * Stage `cli/`: the command line. main.ts is the entry point and the only place that turns an
 * error into a line and an exit code; args.ts and options.ts parse the options into a typed
 * `CliOptions`; config.ts is the only reader of the environment; help.ts holds the help text;
 * reporter.ts prints progress.
 *
 * May import: every stage. Nothing imports it.
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
