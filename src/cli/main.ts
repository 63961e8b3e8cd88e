/**
 * The program's entry point (what the binaries and `deno run -A src/cli/main.ts [options]
 * PATH...` run): answers `--version` alone, and hands everything else to the CLI (run.ts).
 *
 * run.ts is imported through a computed specifier on purpose. Before a program's first line
 * runs, `deno run` reads every module it can reach, those behind a literal `import()` included:
 * ~145 files, most of the 40 ms by which `--version` used to exceed an empty program. A computed
 * specifier is not followed, so run.ts and the pipeline are read only when a command needs them.
 * `deno compile` does not follow it either: scripts/compile_plan.ts finds it (the same
 * `new URL("./module.ts", import.meta.url)` form as a Worker's) and `--include`s it; the library
 * (mod.ts) and its bundle import run.ts directly. `deno publish` warns that it cannot analyze
 * the import: a relative URL needs no rewriting, and run.ts is published through mod.ts.
 * @module
 */
import { VERSION } from "../version.ts";
import { print } from "./output.ts";

/** Runs mkrepo with the given arguments; returns the exit code. Never exits by itself. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    print(`mkrepo ${VERSION}`);
    return 0;
  }
  const cli: typeof import("./run.ts") = await import(
    new URL("./run.ts", import.meta.url).href
  );
  return await cli.runCli(argv);
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
