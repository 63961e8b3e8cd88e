/**
 * `mkrepo settings PATH`: what each repository records in mkrepo.json (or would record, derived
 * from what it publishes).
 * @module
 */
import type { CliOptions } from "./args.ts";
import { readConfig } from "./config.ts";
import { s3Settings } from "./s3_options.ts";
import { VERSION } from "../version.ts";
import { parseLocation } from "../storage/location.ts";
import { openStorage } from "../storage/open_storage.ts";
import { readSettings } from "../repo/settings.ts";
import { describeSettings } from "../repo/settings_text.ts";

/** `mkrepo settings [--json] PATH...`: the text to print. */
export async function runSettings(opts: CliOptions): Promise<string> {
  const config = readConfig();
  const repos = [];
  for (const arg of opts.paths) {
    const location = parseLocation(arg);
    const storage = await openStorage(location, s3Settings(opts, config, location.kind));
    try {
      repos.push({ path: location.display, ...await readSettings(storage) });
    } finally {
      await storage.close?.();
    }
  }
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
