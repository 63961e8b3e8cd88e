/**
 * `mkrepo verify PATH...`: checks each published repository and prints the report (text on
 * stderr, or `--json` on stdout).
 * @module
 */
import type { CliOptions } from "./args.ts";
import { readConfig } from "./config.ts";
import { VERSION } from "../version.ts";
import { plural } from "../util/plural.ts";
import { forEachRepository } from "./locations.ts";
import { type VerifyReport, verifyRepository } from "../repo/verify.ts";
import { readKeyText } from "../sign/key_file.ts";
import { print } from "./output.ts";

/** Verifies each repository of `opts.paths`; returns the exit code (0 all OK, 1 a problem). */
export async function runVerify(opts: CliOptions): Promise<number> {
  const config = readConfig();
  let publicKey: string | undefined;
  if (opts.verifyKey !== undefined) {
    publicKey = await readKeyText(opts.verifyKey, { code: "usage", action: "read key file" });
  }
  const reports: VerifyReport[] = [];
  await forEachRepository(opts, config, async (storage, location) => {
    reports.push(
      await verifyRepository(storage, location.display, {
        deep: opts.deep,
        publicKey,
        concurrency: opts.concurrency,
      }),
    );
  });
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
