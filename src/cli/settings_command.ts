/**
 * `mkrepo settings PATH`: what each repository records in mkrepo.json (or would record, derived
 * from what it publishes).
 * @module
 */
import type { CliOptions } from "./args.ts";
import { readConfig } from "./config.ts";
import { forEachRepository } from "./locations.ts";
import { VERSION } from "../version.ts";
import { readSettings } from "../repo/read_settings.ts";
import { describeSettings } from "../repo/settings_text.ts";

/** `mkrepo settings [--json] PATH...`: the text to print. */
export async function runSettings(opts: CliOptions): Promise<string> {
  const config = readConfig();
  const repos: ({ path: string } & Awaited<ReturnType<typeof readSettings>>)[] = [];
  await forEachRepository(opts, config, async (storage, location) => {
    repos.push({ path: location.display, ...await readSettings(storage) });
  });
  if (opts.json) return JSON.stringify({ ok: true, version: VERSION, repos }, null, 2);
  const lines: string[] = [];
  for (const r of repos) {
    if (!r.settings) {
      lines.push(`${r.path}: nothing published yet (no settings)`);
      continue;
    }
    lines.push(
      `${r.path}: ${
        r.recorded ? "recorded in mkrepo.json" : "derived from what it publishes (not recorded yet)"
      }`,
    );
    for (const line of describeSettings(r.settings)) lines.push(`  ${line}`);
  }
  return lines.join("\n");
}
