/**
 * The real apt (apt-get, apt-cache) in an isolated configuration: its own sources, state,
 * cache, keyrings (none: the system's trusted keys are never used) and no system
 * apt.conf.d, so running it as root never touches /var/lib/apt or /etc/apt.
 * @module
 */
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool, run, type RunResult } from "./reference_tools.ts";

/** One repository line of the client's sources. */
export interface AptSource {
  /** file:///abs/path/ or http://127.0.0.1:port/prefix/ */
  uri: string;
  /** Suite or codename ("stable"); a flat repository uses "./" with no components. */
  suite: string;
  /** Default ["main"]; an empty list for a flat repository. */
  components?: string[];
  /** Adds trusted=yes (no signature needed). */
  trusted?: boolean;
  /** Path of the public key (armored .asc or binary .gpg) the Release must be signed by. */
  signedBy?: string;
  /** Restricts the entry to these architectures (arch=...). */
  arch?: string[];
  /** Default ["deb"]; add "deb-src" to fetch Sources. */
  types?: ("deb" | "deb-src")[];
}

/** Options of {@linkcode AptClient.create}. */
export interface AptOptions {
  sources: AptSource | AptSource[];
  /** Native architecture (APT::Architecture); default "amd64". */
  arch?: string;
  /** All architectures apt considers (APT::Architectures); default [arch]. */
  architectures?: string[];
  /** Sources file format; default "deb822" (sources.list.d/test.sources). */
  format?: "deb822" | "one-line";
  /**
   * Keep apt's privilege drop to the _apt user when run as root (default false: the
   * download methods run as root, so 0700 temp dirs of other tests stay readable).
   */
  sandbox?: boolean;
}

/** Result of an apt command, with its diagnostics split out. */
export interface AptResult extends RunResult {
  /** Exit code 0, no "E:" line and no "Err:" item. */
  ok: boolean;
  /** "W: ..." messages (continuation lines joined with "\n"). */
  warnings: string[];
  /** "E: ..." messages and "Err:" items. */
  errors: string[];
  /** "N: ..." notices (e.g. an architecture the repository does not have). */
  notices: string[];
}

/** One binary package entry as apt downloaded it (all versions, not only candidates). */
export interface AptPackage {
  package: string;
  version: string;
  architecture: string;
  filename: string;
  /** Every field of the paragraph, continuation lines included. */
  fields: Record<string, string>;
}

/** Parses deb822 paragraphs (Packages, Sources) into field maps, keeping field order. */
export function parseDeb822(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (Object.keys(cur).length) out.push(cur);
      cur = {};
      last = undefined;
    } else if ((line[0] === " " || line[0] === "\t") && last) {
      cur[last] += "\n" + line;
    } else {
      const i = line.indexOf(":");
      if (i <= 0) continue;
      last = line.slice(0, i);
      cur[last] = line.slice(i + 1).trim();
    }
  }
  if (Object.keys(cur).length) out.push(cur);
  return out;
}

/** Splits apt output into W:/E:/N: messages; "Err:" items count as errors. */
function diagnose(r: RunResult): AptResult {
  const warnings: string[] = [];
  const errors: string[] = [];
  const notices: string[] = [];
  let current: string[] | undefined;
  let idx = -1;
  for (const line of (r.stdout + "\n" + r.stderr).split("\n")) {
    const m = /^(W|E|N|Err:\d+): ?(.*)$/.exec(line);
    if (m) {
      current = m[1] === "W" ? warnings : m[1] === "N" ? notices : errors;
      current.push(m[1].startsWith("Err") ? `Err ${m[2]}` : m[2]);
      idx = current.length - 1;
    } else if (current && /^\s/.test(line) && line.trim() !== "") {
      current[idx] += "\n" + line.trim();
    } else {
      current = undefined;
    }
  }
  return { ...r, ok: r.code === 0 && errors.length === 0, warnings, errors, notices };
}

function oneLine(s: AptSource): string {
  const opts: string[] = [];
  if (s.trusted) opts.push("trusted=yes");
  if (s.signedBy) opts.push(`signed-by=${s.signedBy}`);
  if (s.arch?.length) opts.push(`arch=${s.arch.join(",")}`);
  const o = opts.length ? ` [${opts.join(" ")}]` : "";
  const comps = s.components ?? ["main"];
  return (s.types ?? ["deb"])
    .map((t) => `${t}${o} ${s.uri} ${s.suite}${comps.length ? " " + comps.join(" ") : ""}\n`)
    .join("");
}

function deb822(s: AptSource): string {
  const lines = [
    `Types: ${(s.types ?? ["deb"]).join(" ")}`,
    `URIs: ${s.uri}`,
    `Suites: ${s.suite}`,
  ];
  const comps = s.components ?? ["main"];
  if (comps.length) lines.push(`Components: ${comps.join(" ")}`);
  if (s.arch?.length) lines.push(`Architectures: ${s.arch.join(" ")}`);
  if (s.trusted) lines.push("Trusted: yes");
  if (s.signedBy) lines.push(`Signed-By: ${s.signedBy}`);
  return lines.join("\n") + "\n";
}

const q = (v: string) => JSON.stringify(v);

/** An isolated apt client; create with {@linkcode AptClient.create} or {@linkcode withApt}. */
export class AptClient implements AsyncDisposable {
  /** Temp folder holding the configuration, state and cache. */
  readonly dir: string;
  /** The APT_CONFIG file every command runs with. */
  readonly configPath: string;
  #aptGet: string;
  #aptCache: string;
  #sandbox: boolean;
  #downloads = 0;

  private constructor(dir: string, sandbox: boolean) {
    this.dir = dir;
    this.configPath = join(dir, "apt.conf");
    this.#aptGet = requireTool("apt-get");
    this.#aptCache = requireTool("apt-cache");
    this.#sandbox = sandbox;
  }

  /** Writes the isolated configuration and sources (no network access yet). */
  static async create(options: AptOptions): Promise<AptClient> {
    requireTool("apt-get");
    requireTool("gpgv"); // apt verifies Release signatures with gpgv
    const dir = await mkdtemp(join(tmpdir(), "apt-"));
    const sandbox = options.sandbox ?? false;
    const client = new AptClient(dir, sandbox);
    try {
      await client.#configure(options);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    return client;
  }

  async #configure(options: AptOptions): Promise<void> {
    const d = this.dir;
    for (
      const sub of [
        "etc/apt.conf.d",
        "etc/sources.list.d",
        "etc/preferences.d",
        "etc/trusted.gpg.d",
        "etc/auth.conf.d",
        "etc/keys",
        "state/lists/partial",
        "cache/archives/partial",
        "log",
        "downloads",
      ]
    ) await mkdir(join(d, sub), { recursive: true });
    await writeFile(join(d, "state/status"), "");
    const arch = options.arch ?? "amd64";
    const archs = options.architectures ?? [arch];
    const given = Array.isArray(options.sources) ? options.sources : [options.sources];
    // Copy each key into our folder (0644): apt's gpgv runs as _apt when sandboxed and
    // cannot read a key inside another test's 0700 temp folder.
    const sources: AptSource[] = [];
    for (const [i, s] of given.entries()) {
      if (!s.signedBy) {
        sources.push(s);
        continue;
      }
      const ext = s.signedBy.endsWith(".gpg") ? ".gpg" : ".asc";
      const key = join(d, "etc/keys", `source${i}${ext}`);
      await copyFile(s.signedBy, key);
      await chmod(key, 0o644);
      sources.push({ ...s, signedBy: key });
    }
    const format = options.format ?? "deb822";
    await writeFile(
      join(d, "etc/sources.list"),
      format === "one-line" ? sources.map(oneLine).join("") : "",
    );
    if (format === "deb822") {
      await writeFile(join(d, "etc/sources.list.d/test.sources"), sources.map(deb822).join("\n"));
    }
    const conf = [
      // Read nothing from /etc/apt: APT_CONFIG is read first, then these (empty) places.
      `Dir::Etc::main "/dev/null";`,
      `Dir::Etc::Parts ${q(join(d, "etc/apt.conf.d"))};`,
      `Dir::Etc::SourceList ${q(join(d, "etc/sources.list"))};`,
      `Dir::Etc::SourceParts ${q(join(d, "etc/sources.list.d"))};`,
      `Dir::Etc::Preferences "/dev/null";`,
      `Dir::Etc::PreferencesParts ${q(join(d, "etc/preferences.d"))};`,
      `Dir::Etc::Trusted ${q(join(d, "etc/trusted.gpg"))};`,
      `Dir::Etc::TrustedParts ${q(join(d, "etc/trusted.gpg.d"))};`,
      `Dir::Etc::netrc ${q(join(d, "etc/auth.conf"))};`,
      `Dir::Etc::netrcparts ${q(join(d, "etc/auth.conf.d"))};`,
      `Dir::State ${q(join(d, "state"))};`,
      `Dir::State::status ${q(join(d, "state/status"))};`,
      `Dir::Cache ${q(join(d, "cache"))};`,
      `Dir::Log ${q(join(d, "log"))};`,
      `APT::Architecture ${q(arch)};`,
      `APT::Architectures { ${archs.map((a) => q(a) + ";").join(" ")} };`,
      `Acquire::Languages "none";`,
      `Acquire::http::Proxy "DIRECT";`,
      `Acquire::https::Proxy "DIRECT";`,
      `Acquire::Retries "0";`,
      `APT::Get::Assume-Yes "true";`,
      `APT::Install-Recommends "false";`,
      ...(this.#sandbox ? [] : [`APT::Sandbox::User "root";`]),
      "",
    ].join("\n");
    await writeFile(this.configPath, conf);
    if (this.#sandbox) {
      // _apt must traverse our folder and write the folders it downloads into.
      await chmod(d, 0o755);
    }
  }

  /** Runs apt-get (or apt-cache with `tool`) with this configuration. */
  async run(
    args: string[],
    options: { tool?: "apt-get" | "apt-cache"; cwd?: string } = {},
  ): Promise<AptResult> {
    const bin = options.tool === "apt-cache" ? this.#aptCache : this.#aptGet;
    const r = await run(bin, args, {
      cwd: options.cwd ?? this.dir,
      env: { APT_CONFIG: this.configPath, DEBIAN_FRONTEND: "noninteractive" },
    });
    return diagnose(r);
  }

  /** `apt-get update`. A bad signature or a hash mismatch gives ok=false with the message. */
  update(): Promise<AptResult> {
    return this.run(["update"]);
  }

  /** Candidate version of `pkg` (apt-cache policy), or undefined when apt knows none. */
  async policy(pkg: string): Promise<string | undefined> {
    const r = await this.run(["policy", pkg], { tool: "apt-cache" });
    if (r.code !== 0) throw new Error(`apt-cache policy ${pkg} failed:\n${r.stderr}`);
    const m = /^\s*Candidate: (\S+)$/m.exec(r.stdout);
    return !m || m[1] === "(none)" ? undefined : m[1];
  }

  /** Paths of the index files apt fetched, by kind ("Packages", "Sources"). */
  async indexFiles(kind: "Packages" | "Sources" = "Packages"): Promise<string[]> {
    const r = await this.run(["indextargets", "--format", "$(FILENAME)", `Created-By: ${kind}`]);
    if (r.code !== 0) throw new Error(`apt-get indextargets failed:\n${r.stderr}`);
    const files: string[] = [];
    for (const f of r.stdout.split("\n").filter(Boolean)) {
      try {
        await Deno.stat(f);
        files.push(f);
      } catch {
        // the target was not downloaded (e.g. architecture absent from the repository)
      }
    }
    return files;
  }

  /** Every paragraph of the downloaded index files of `kind` (decompressed by apt-helper). */
  async indexRecords(kind: "Packages" | "Sources" = "Packages"): Promise<Record<string, string>[]> {
    const records: Record<string, string>[] = [];
    for (const f of await this.indexFiles(kind)) {
      const r = await run("/usr/lib/apt/apt-helper", ["cat-file", f]);
      if (r.code !== 0) throw new Error(`apt-helper cat-file ${f} failed:\n${r.stderr}`);
      records.push(...parseDeb822(r.stdout));
    }
    return records;
  }

  /** All binary package entries apt knows from its sources (every version, every arch). */
  async listPackages(): Promise<AptPackage[]> {
    return (await this.indexRecords("Packages")).map((f) => ({
      package: f.Package,
      version: f.Version,
      architecture: f.Architecture,
      filename: f.Filename,
      fields: f,
    }));
  }

  async #newDownloadDir(): Promise<string> {
    const dir = join(this.dir, "downloads", String(++this.#downloads));
    await mkdir(dir);
    if (this.#sandbox && Deno.uid() === 0) {
      const id = await run("id", ["-u", "_apt"]);
      if (id.code === 0) await chown(dir, Number(id.stdout.trim()), 0);
    }
    return dir;
  }

  /**
   * `apt-get download pkg[=version][:arch]` into a fresh folder; returns the file path.
   * apt checks size and hashes against the (signed) index. Throws when apt fails.
   */
  async download(spec: string, arch?: string): Promise<string> {
    const dir = await this.#newDownloadDir();
    let target = spec;
    if (arch) {
      const eq = spec.indexOf("=");
      target = eq < 0 ? `${spec}:${arch}` : `${spec.slice(0, eq)}:${arch}${spec.slice(eq)}`;
    }
    const r = await this.run(["download", target], { cwd: dir });
    const files = (await readdir(dir)).filter((n) => !n.endsWith(".FAILED"));
    if (!r.ok || files.length !== 1) {
      throw new Error(`apt-get download ${target} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return join(dir, files[0]);
  }

  /** `apt-get source --download-only pkg` (needs a deb-src entry); returns the file paths. */
  async downloadSource(spec: string): Promise<string[]> {
    const dir = await this.#newDownloadDir();
    const r = await this.run(["source", "--download-only", spec], { cwd: dir });
    if (!r.ok) {
      throw new Error(`apt-get source ${spec} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return (await readdir(dir)).sort().map((n) => join(dir, n));
  }

  /**
   * `apt-get install --download-only pkgs` against the empty status file: resolves
   * dependencies from the configured sources only and fetches (and verifies) every package.
   * `fetched` lists "name version arch" from apt's Get: lines; `files` the .deb files in the
   * archive cache (empty for file: sources, which apt uses in place without copying).
   */
  async installDownloadOnly(
    pkgs: string[],
  ): Promise<{ result: AptResult; fetched: string[]; files: string[] }> {
    const result = await this.run(["install", "--download-only", ...pkgs]);
    const fetched = result.stdout.split("\n")
      .filter((l) => /^Get:\d+ /.test(l))
      .map((l) => l.replace(/ \[[^\]]*\]$/, "").split(" ").slice(-3))
      .map(([name, arch, version]) => `${name} ${version} ${arch}`)
      .sort();
    const archives = join(this.dir, "cache/archives");
    const files = (await readdir(archives)).filter((n) => n.endsWith(".deb")).sort()
      .map((n) => join(archives, n));
    return { result, fetched, files };
  }

  /** The sources file as written (for failure messages). */
  async sourcesText(): Promise<string> {
    const a = await readFile(join(this.dir, "etc/sources.list"), "utf8");
    let b = "";
    try {
      b = await readFile(join(this.dir, "etc/sources.list.d/test.sources"), "utf8");
    } catch {
      // one-line format
    }
    return a + b;
  }

  /** Removes the temp folder. */
  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** Creates an {@linkcode AptClient}, runs `fn` with it and removes it in `finally`. */
export async function withApt<T>(
  options: AptOptions,
  fn: (apt: AptClient) => Promise<T>,
): Promise<T> {
  const apt = await AptClient.create(options);
  try {
    return await fn(apt);
  } finally {
    await apt.dispose();
  }
}
