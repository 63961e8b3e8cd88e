/**
 * `deno run -A scripts/smoke.ts [--quick] [--work DIR] [--keep] -- COMMAND [ARG...]`: runs one
 * mkrepo, given as the command that starts it (a compiled binary, `deno run -A mod.ts`, a
 * `docker run ... IMAGE`), through the smoke test every shipped form must pass:
 *
 * - `--version` prints `mkrepo <version of src/version.ts>`;
 * - `keygen` makes a key pair;
 * - a signed deb repository and a signed rpm repository from tests/fixtures (InRelease,
 *   Release.gpg, repomd.xml.asc, and every package indexed);
 * - a second run of each reads nothing (up to date, 0 packages and 0 bytes read);
 * - `verify --deep --key` of each.
 *
 * `--quick` (macOS and Windows runners): `--version`, keygen and one signed deb repository of
 * the two samples/ packages, verified. The work folder (a new temporary one unless `--work`)
 * holds the repositories and keys; a container must see it at the same path (`-v DIR:DIR`).
 * The signing key is passed in the MKREPO_SIGNING_KEY environment variable (`docker run -e
 * MKREPO_SIGNING_KEY`). Prints PASS/FAIL lines and `smoke: N passed, N failed`; exits 1 on any
 * failure. `smoke()` is the same test for callers with their own way to run mkrepo
 * (scripts/bundle_check.ts).
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { VERSION } from "../src/version.ts";

const FIXTURES = fileURLToPath(new URL("../tests/fixtures/", import.meta.url));
const SAMPLES = fileURLToPath(new URL("../samples/", import.meta.url));

/** What one mkrepo run printed. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs mkrepo with these arguments and extra environment variables. */
export type RunMkrepo = (args: string[], env?: Record<string, string>) => Promise<Ran>;

/** One check's outcome. */
export interface Check {
  ok: boolean;
  name: string;
  detail: string;
}

/** Options of smoke(). */
export interface SmokeOptions {
  /** The short form for the macOS and Windows runners (see the module doc). */
  quick?: boolean;
  /** Called with each check as it is made (e.g. to print it). */
  report?: (check: Check) => void;
}

interface RepoSummary {
  ok?: boolean;
  repos?: {
    kind?: string;
    packages?: number;
    read?: number;
    bytesRead?: number;
    upToDate?: boolean;
  }[];
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

function summary(ran: Ran): RepoSummary {
  try {
    return JSON.parse(ran.stdout);
  } catch {
    return {};
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Copies the files of `from` whose names match into `to`; returns how many packages. */
async function copyPackages(from: string, to: string, packages: RegExp): Promise<number> {
  await Deno.mkdir(to, { recursive: true });
  let count = 0;
  for await (const e of Deno.readDir(from)) {
    if (!e.isFile || e.name.endsWith(".md")) continue;
    await Deno.copyFile(join(from, e.name), join(to, e.name));
    if (packages.test(e.name)) count++;
  }
  return count;
}

/**
 * Runs the smoke test with `run` in the folder `work` (which must exist and be empty);
 * returns every check made.
 */
export async function smoke(
  run: RunMkrepo,
  work: string,
  options: SmokeOptions = {},
): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (ok: boolean, name: string, detail = "") => {
    const c = { ok, name, detail };
    checks.push(c);
    options.report?.(c);
    return ok;
  };

  const version = await run(["--version"]);
  check(
    version.code === 0 && version.stdout.trim() === `mkrepo ${VERSION}`,
    "--version",
    version.stdout.trim() || lastLine(version.stderr),
  );

  const keyBase = join(work, "signing");
  const keygen = await run([
    "keygen",
    "--name",
    "mkrepo smoke",
    "--email",
    "smoke@mkrepo.invalid",
    "--out",
    keyBase,
  ]);
  const privateKey = await Deno.readTextFile(`${keyBase}.key`).catch(() => "");
  if (!check(keygen.code === 0 && privateKey !== "", "keygen", lastLine(keygen.stderr))) {
    return checks;
  }
  const env = { MKREPO_SIGNING_KEY: privateKey };

  const repos = options.quick
    ? [{ kind: "deb", from: `${SAMPLES}deb`, pool: "pool/main", packages: /\.deb$/ }]
    : [
      { kind: "deb", from: `${FIXTURES}deb`, pool: "pool/main", packages: /\.(u|d)?deb$|\.dsc$/ },
      { kind: "rpm", from: `${FIXTURES}rpm`, pool: "Packages", packages: /\.rpm$/ },
    ];
  for (const { kind, from, pool, packages } of repos) {
    const repo = join(work, kind);
    const count = await copyPackages(from, join(repo, pool), packages);
    const first = await run(["--json", "--sign", "--public-key", "key.asc", repo], env);
    const r = summary(first).repos?.[0];
    const signed = kind === "deb"
      ? ["dists/all/InRelease", "dists/all/Release.gpg", "dists/all/main/binary-amd64/Packages.gz"]
      : ["repodata/repomd.xml", "repodata/repomd.xml.asc"];
    const missing = [];
    for (const f of [...signed, "key.asc"]) if (!(await exists(join(repo, f)))) missing.push(f);
    check(
      first.code === 0 && r?.kind === kind && r.packages === count && missing.length === 0,
      `signed ${kind} repository of ${count} packages`,
      first.code !== 0
        ? lastLine(first.stderr)
        : missing.length
        ? `missing ${missing.join(", ")}`
        : `${r?.packages} packages indexed`,
    );

    const again = await run(["--json", "--sign", "--public-key", "key.asc", repo], env);
    const a = summary(again).repos?.[0];
    check(
      again.code === 0 && a?.upToDate === true && a.read === 0 && a.bytesRead === 0,
      `${kind} rerun reads nothing`,
      again.code === 0
        ? `upToDate ${a?.upToDate}, read ${a?.read}, bytesRead ${a?.bytesRead}`
        : lastLine(again.stderr),
    );

    const verify = await run(["verify", "--deep", "--key", `${keyBase}.asc`, repo]);
    check(verify.code === 0, `verify --deep --key ${kind}`, lastLine(verify.stderr));
  }
  return checks;
}

/** Runs `command` with arguments appended, environment added to this process's. */
export function commandRunner(command: string[]): RunMkrepo {
  return async (args, env = {}) => {
    const out = await new Deno.Command(command[0], {
      args: [...command.slice(1), ...args],
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      work: { type: "string" },
      keep: { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    console.error(
      "usage: deno run -A scripts/smoke.ts [--quick] [--work DIR] [--keep] -- COMMAND...",
    );
    return 2;
  }
  const work = values.work ?? await Deno.makeTempDir({ prefix: "mkrepo-smoke-" });
  await Deno.mkdir(work, { recursive: true });
  console.error(`smoke: ${positionals.join(" ")} in ${work}`);
  let checks: Check[];
  try {
    checks = await smoke(commandRunner(positionals), work, {
      quick: values.quick,
      report: (c) =>
        console.error(`${c.ok ? "PASS" : "FAIL"} ${c.name}${c.detail ? ` — ${c.detail}` : ""}`),
    });
  } finally {
    if (values.keep || values.work) console.error(`smoke: kept ${work}`);
    else await Deno.remove(work, { recursive: true });
  }
  const failed = checks.filter((c) => !c.ok).length;
  console.error(`smoke: ${checks.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
