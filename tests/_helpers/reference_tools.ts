/**
 * Runs the reference tools (createrepo_c, apt-ftparchive, gpg, gpgv) for tests, and the
 * small process runner the apt/dnf helpers share. A missing tool FAILS with an install
 * hint naming the Debian package: tests never skip silently.
 * @module
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { type RunResult, spawnText } from "./spawn.ts";

export type { RunResult };

/** Options of {@linkcode run}. */
export interface RunOptions {
  cwd?: string;
  /** Added to (and overriding) the inherited environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  stdin?: string | Uint8Array;
}

/** Proxy variables removed from every child environment: tests talk to loopback only. */
const PROXY_VARS = [
  "http_proxy",
  "https_proxy",
  "ftp_proxy",
  "all_proxy",
  "no_proxy",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "FTP_PROXY",
  "ALL_PROXY",
  "NO_PROXY",
];

/** Environment for tool runs: inherited, without proxies, C locale, plus `extra`. */
export function toolEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of PROXY_VARS) delete env[name];
  env.LC_ALL = "C";
  env.LANG = "C";
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `cmd args` to completion (no shell) in the tool environment, capturing its output. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return spawnText(cmd, args, {
    cwd: options.cwd,
    env: toolEnv(options.env),
    stdin: options.stdin,
  });
}

/** Like {@linkcode run} but throws (with the output) unless the exit code is 0. */
export async function runChecked(
  cmd: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${
        args.join(" ")
      } exited with ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

/** Debian package that provides each tool, for the install hint. */
const TOOL_PACKAGES: Record<string, string> = {
  "apt-get": "apt",
  "apt-cache": "apt",
  "apt-ftparchive": "apt-utils",
  "createrepo_c": "createrepo-c",
  "dnf": "dnf dnf-plugins-core python3-dnf",
  "dpkg-deb": "dpkg",
  "dpkg-scanpackages": "dpkg-dev",
  "gpg": "gpg",
  "gpgconf": "gpgconf",
  "gpgv": "gpgv",
  "rpm": "rpm",
  "python3-dnf": "python3-dnf",
};

const found = new Map<string, string>();

/**
 * Absolute path of an executable on PATH. Throws (never skips) with an install hint naming
 * the Debian package when it is missing.
 */
export function requireTool(name: string): string {
  const cached = found.get(name);
  if (cached) return cached;
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      const st = Deno.statSync(path);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) {
        found.set(name, path);
        return path;
      }
    } catch {
      // not in this PATH entry
    }
  }
  const pkg = TOOL_PACKAGES[name] ?? name;
  throw new Error(
    `Required tool "${name}" not found on PATH. Install it: apt-get install -y ${pkg} ` +
      `(.ci/run installs every tool the tests need)`,
  );
}

// ---------------------------------------------------------------------------------------------
// RPM: createrepo_c

/** Options of {@linkcode createrepo}. */
export interface CreaterepoOptions {
  /** Name metadata files primary.xml.gz etc. instead of <sha256>-primary.xml.gz. */
  simpleMdFilenames?: boolean;
  extraArgs?: string[];
}

/** Runs `createrepo_c --no-database` over `dir` (writes dir/repodata); throws on failure. */
export function createrepo(dir: string, options: CreaterepoOptions = {}): Promise<RunResult> {
  const args = ["--no-database"];
  if (options.simpleMdFilenames) args.push("--simple-md-filenames");
  args.push(...(options.extraArgs ?? []), dir);
  return runChecked(requireTool("createrepo_c"), args);
}

// ---------------------------------------------------------------------------------------------
// Debian: apt-ftparchive

/** `apt-ftparchive packages <path>` run in `root` (so Filename is relative to it); stdout. */
export async function ftparchivePackages(
  root: string,
  path: string,
  options: { arch?: string; extraArgs?: string[] } = {},
): Promise<string> {
  const args = [...(options.arch ? ["--arch", options.arch] : []), ...(options.extraArgs ?? [])];
  const r = await runChecked(requireTool("apt-ftparchive"), [...args, "packages", path], {
    cwd: root,
  });
  return r.stdout;
}

/** `apt-ftparchive sources <path>` run in `root`; stdout. */
export async function ftparchiveSources(root: string, path: string): Promise<string> {
  const r = await runChecked(requireTool("apt-ftparchive"), ["sources", path], { cwd: root });
  return r.stdout;
}

/** Release fields given to apt-ftparchive (APT::FTPArchive::Release::<Field>). */
export interface ReleaseFields {
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  architectures?: string[];
  components?: string[];
  description?: string;
  /** Extra raw `-o` options, e.g. "APT::FTPArchive::Release::Acquire-By-Hash=yes". */
  extraOptions?: string[];
}

/** `apt-ftparchive release <distDir>`: the text of a Release file for that dist folder. */
export async function ftparchiveRelease(
  distDir: string,
  fields: ReleaseFields = {},
): Promise<string> {
  const o = (k: string, v: string | undefined) =>
    v === undefined ? [] : ["-o", `APT::FTPArchive::Release::${k}=${v}`];
  const args = [
    ...o("Origin", fields.origin),
    ...o("Label", fields.label),
    ...o("Suite", fields.suite),
    ...o("Codename", fields.codename),
    ...o("Architectures", fields.architectures?.join(" ")),
    ...o("Components", fields.components?.join(" ")),
    ...o("Description", fields.description),
    ...(fields.extraOptions ?? []).flatMap((x) => ["-o", x]),
    "release",
    ".",
  ];
  const r = await runChecked(requireTool("apt-ftparchive"), args, { cwd: distDir });
  return r.stdout;
}

/** Options of {@linkcode buildReferenceDebRepo}. */
export interface ReferenceDebRepoOptions {
  dist?: string;
  component?: string;
  architectures?: string[];
  /** Source package files (.dsc and the files it names) to index into source/Sources. */
  sourceFiles?: string[];
}

/**
 * Builds a Debian repository with apt-ftparchive in `dir`: copies `debs` to
 * pool/<component>/, writes dists/<dist>/<component>/binary-<arch>/Packages (and
 * source/Sources when sourceFiles are given) and an unsigned dists/<dist>/Release.
 * Returns the dist folder (sign it with {@linkcode signDebRelease}).
 */
export async function buildReferenceDebRepo(
  dir: string,
  debs: string[],
  options: ReferenceDebRepoOptions = {},
): Promise<string> {
  const dist = options.dist ?? "stable";
  const component = options.component ?? "main";
  const archs = options.architectures ?? ["amd64"];
  const pool = join(dir, "pool", component);
  await mkdir(pool, { recursive: true });
  for (const f of [...debs, ...(options.sourceFiles ?? [])]) {
    await copyFile(f, join(pool, basename(f)));
  }
  const distDir = join(dir, "dists", dist);
  for (const arch of archs) {
    const binDir = join(distDir, component, `binary-${arch}`);
    await mkdir(binDir, { recursive: true });
    const packages = await ftparchivePackages(dir, join("pool", component), { arch });
    await writeFile(join(binDir, "Packages"), packages);
  }
  if (options.sourceFiles?.length) {
    const srcDir = join(distDir, component, "source");
    await mkdir(srcDir, { recursive: true });
    await writeFile(join(srcDir, "Sources"), await ftparchiveSources(dir, join("pool", component)));
  }
  const release = await ftparchiveRelease(distDir, {
    origin: "mkrepo-tests",
    label: "mkrepo-tests",
    suite: dist,
    codename: dist,
    architectures: archs,
    components: [component],
  });
  await writeFile(join(distDir, "Release"), release);
  return distDir;
}

// ---------------------------------------------------------------------------------------------
// gpg / gpgv

/** A throwaway gpg key in its own GNUPGHOME; dispose to stop its agent and delete it. */
export interface GpgKey extends AsyncDisposable {
  readonly home: string;
  readonly fingerprint: string;
  /** Armored public key file (what apt's signed-by and dnf's gpgkey take). */
  readonly publicKeyPath: string;
  /** Clear-signs `input` into `output` (InRelease). */
  clearsign(input: string, output: string): Promise<void>;
  /** Writes an armored detached signature of `input` to `output` (Release.gpg, repomd.xml.asc). */
  detachSign(input: string, output: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Stops any gpg-agent started for `home` (gpg, librepo's pubring dirs...). */
export async function killGpgAgent(home: string): Promise<void> {
  await run(requireTool("gpgconf"), ["--homedir", home, "--kill", "all"]);
}

/** Creates a passphrase-less signing key (Ed25519 by default, else RSA 3072). */
export async function createGpgKey(
  options: { type?: "ed25519" | "rsa"; uid?: string } = {},
): Promise<GpgKey> {
  const gpg = requireTool("gpg");
  // Short path: gpg-agent's socket path must stay under ~108 bytes.
  const home = await mkdtemp(join(tmpdir(), "gpg-"));
  const env = { GNUPGHOME: home };
  const base = ["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""];
  const algo = options.type === "rsa" ? "rsa3072" : "ed25519";
  try {
    await runChecked(gpg, [
      ...base,
      "--quick-gen-key",
      options.uid ?? "mkrepo test <test@example.com>",
      algo,
      "sign",
      "never",
    ], { env });
    const list = await runChecked(gpg, ["--batch", "--with-colons", "--list-keys"], { env });
    const fpr = list.stdout.split("\n").find((l) => l.startsWith("fpr:"))?.split(":")[9];
    if (!fpr) throw new Error(`gpg created no key:\n${list.stdout}`);
    const exported = await runChecked(gpg, ["--batch", "--armor", "--export", fpr], { env });
    const publicKeyPath = join(home, "public.asc");
    await writeFile(publicKeyPath, exported.stdout);
    const dispose = async () => {
      await killGpgAgent(home);
      await rm(home, { recursive: true, force: true });
    };
    const sign = async (mode: string[], input: string, output: string) => {
      const args = [...base, "-u", fpr, "--digest-algo", "SHA256", ...mode, "-o", output, input];
      await runChecked(gpg, args, { env });
    };
    return {
      home,
      fingerprint: fpr,
      publicKeyPath,
      clearsign: (input, output) => sign(["--clearsign"], input, output),
      detachSign: (input, output) => sign(["--armor", "--detach-sign"], input, output),
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (e) {
    await killGpgAgent(home);
    await rm(home, { recursive: true, force: true });
    throw e;
  }
}

/** Signs dists/<dist>/Release as apt expects: InRelease (clear-signed) and Release.gpg. */
export async function signDebRelease(distDir: string, key: GpgKey): Promise<void> {
  await key.clearsign(join(distDir, "Release"), join(distDir, "InRelease"));
  await key.detachSign(join(distDir, "Release"), join(distDir, "Release.gpg"));
}

/** Signs repodata/repomd.xml of an rpm repository into repodata/repomd.xml.asc. */
export async function signRepomd(repoDir: string, key: GpgKey): Promise<void> {
  const md = join(repoDir, "repodata", "repomd.xml");
  await key.detachSign(md, md + ".asc");
}

/** Result of {@linkcode gpgvVerify}. */
export interface GpgvResult extends RunResult {
  /** Exit code 0 and a VALIDSIG status line. */
  ok: boolean;
  /** Fingerprints of the primary keys of the valid signatures. */
  validSigners: string[];
}

/**
 * Verifies a clear-signed file (`signed`) or a detached signature (`signed` + `data`) with
 * gpgv against an armored public key (dearmored into a temporary keyring).
 */
export async function gpgvVerify(
  publicKeyAsc: string,
  signed: string,
  data?: string,
): Promise<GpgvResult> {
  const gpgv = requireTool("gpgv");
  const gpg = requireTool("gpg");
  const home = await mkdtemp(join(tmpdir(), "gpgv-"));
  try {
    const keyring = join(home, "key.gpg");
    await runChecked(gpg, ["--batch", "--yes", "--dearmor", "-o", keyring, publicKeyAsc], {
      env: { GNUPGHOME: home },
    });
    const args = ["--homedir", home, "--status-fd", "1", "--keyring", keyring, signed];
    if (data !== undefined) args.push(data);
    const r = await run(gpgv, args);
    const validSigners = r.stdout.split("\n")
      .filter((l) => l.startsWith("[GNUPG:] VALIDSIG "))
      .map((l) => l.split(" ").at(-1) ?? "");
    return { ...r, ok: r.code === 0 && validSigners.length > 0, validSigners };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
