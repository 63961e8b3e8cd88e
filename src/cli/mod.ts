/**
 * Stage `cli/`: the command line. main.ts is the program (what the binaries run) and the only
 * place that turns an error into a line and an exit code; it imports each command's module
 * (update_command.ts, verify_command.ts, settings_command.ts, keygen_command.ts) only when that
 * command runs. args.ts and options.ts parse the options into a typed `CliOptions`; config.ts
 * is the only reader of the environment; locations.ts opens each PATH as a storage; help.ts holds the help text; reporter.ts prints
 * progress, output.ts results.
 *
 * May import: every stage. Nothing imports it.
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
