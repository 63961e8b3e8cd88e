/**
 * `deno task publish-check`: checks that mkrepo can be published to JSR without publishing it.
 *
 * - deno.json has a scoped "name", a "version" equal to src/version.ts, and the exports
 *   "." → ./mod.ts and "./cli" → ./src/cli/main.ts;
 * - `deno publish --dry-run --allow-dirty` passes (type check, slow types, license, file list).
 *   It needs no network: it never contacts jsr.io.
 * @module
 */
import { checkVersion, ROOT } from "./compile_plan.ts";

const EXPECTED_EXPORTS: Record<string, string> = {
  ".": "./mod.ts",
  "./cli": "./src/cli/main.ts",
};

async function main(): Promise<number> {
  const problems: string[] = [];
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  if (typeof config.name !== "string" || !/^@[a-z0-9-]+\/[a-z0-9-]+$/.test(config.name)) {
    problems.push(`deno.json "name" must be a JSR name like @scope/name, not ${config.name}`);
  }
  try {
    await checkVersion();
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  for (const [key, path] of Object.entries(EXPECTED_EXPORTS)) {
    if (config.exports?.[key] !== path) {
      problems.push(`deno.json "exports" must map "${key}" to "${path}"`);
    }
  }
  for (const p of problems) console.error(`publish-check: ${p}`);
  if (problems.length) return 1;
  console.error(`publish-check: ${config.name}@${config.version}, exports ok`);

  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  await Deno.stderr.write(out.stderr);
  const files = [...stderr.matchAll(/^\s+file:\/\/\S+/gm)].length;
  if (out.code !== 0) {
    console.error(`publish-check: deno publish --dry-run failed (exit ${out.code})`);
    return 1;
  }
  const extra = ["tests/", "samples/", ".ci/"].filter((d) => stderr.includes(`${ROOT}${d}`));
  console.error(
    `publish-check: dry run ok, ${files} files` +
      (extra.length ? ` (includes ${extra.join(", ")}: add "publish.exclude" to trim)` : ""),
  );
  return 0;
}

Deno.exit(await main());
