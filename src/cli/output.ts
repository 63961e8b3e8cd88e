/**
 * Writes to stdout: the one place the CLI's commands print results (messages go to stderr).
 * @module
 */

/** Prints `text` on stdout, ending it with a newline. */
export function print(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n"));
}
