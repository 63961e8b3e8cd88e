/**
 * The real dnf (4, as on Debian 12) in an isolated configuration: its own config file,
 * reposdir, varsdir and installroot (cache, persistdir, logs and rpmdb under it), plugins
 * off except `download`. repoquery uses dnf's own Python API (/usr/bin/python3, `import
 * dnf`) so every dependency list comes back as structured JSON.
 * @module
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { killGpgAgent, requireTool, run, type RunResult } from "./reference_tools.ts";

/** One repository of the client. */
export interface DnfRepo {
  /** Repository id; default "test", "test2"... */
  id?: string;
  /** file:///abs/path/ or http://127.0.0.1:port/prefix/ (the folder holding repodata/). */
  baseurl: string;
  /** Check package signatures (gpgcheck); default false. */
  gpgcheck?: boolean;
  /** Check repodata/repomd.xml.asc (repo_gpgcheck); default false. */
  repoGpgcheck?: boolean;
  /** Armored public key: a path or a URL (gpgkey). */
  gpgkey?: string;
}

/** Options of {@linkcode DnfClient.create}. */
export interface DnfOptions {
  repos: DnfRepo | DnfRepo[];
  /** $releasever; default "mkrepo-test" (Debian has no system-release package to detect). */
  releasever?: string;
  /** Pretend to be this architecture (--forcearch), e.g. "aarch64". */
  arch?: string;
}

/** Result of a dnf command. */
export interface DnfResult extends RunResult {
  ok: boolean;
}

/** One package as dnf sees it in the repository metadata. */
export interface DnfPackage {
  /** name-[epoch:]version-release.arch, epoch omitted when 0 (as rpm -q --qf %{NEVRA}). */
  nevra: string;
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  repo: string;
  location: string;
  sourcerpm: string | null;
  checksum: { type: string; value: string } | null;
  provides: string[];
  requires: string[];
  /** Requires(pre/post...) only, also listed in requires. */
  requiresPre: string[];
  recommends: string[];
  suggests: string[];
  supplements: string[];
  enhances: string[];
  conflicts: string[];
  obsoletes: string[];
  /** Every file (from filelists), sorted. */
  files: string[];
}

const PYTHON = "/usr/bin/python3";

/** dnf's Python API: load the repos as the CLI would, print every available package as JSON. */
const REPOQUERY_PY = `
import json, sys
import dnf, hawkey
cfg = json.loads(sys.argv[1])
base = dnf.Base()
conf = base.conf
conf.read(cfg["config"])
conf.cachedir = cfg["cachedir"]
conf.persistdir = cfg["persistdir"]
conf.logdir = cfg["logdir"]
conf.reposdir = [cfg["reposdir"]]
conf.releasever = cfg["releasever"]
conf.substitutions["releasever"] = cfg["releasever"]
if cfg.get("arch"):
    conf.arch = cfg["arch"]
    conf.substitutions["arch"] = cfg["arch"]
    conf.substitutions["basearch"] = dnf.rpm.basearch(cfg["arch"])
base.read_all_repos()
try:
    base.fill_sack(load_system_repo=False, load_available_repos=True)
    deps = lambda rs: [str(r) for r in rs]
    out = []
    for p in base.sack.query().available().run():
        c = p.chksum
        out.append({
            "nevra": str(p), "name": p.name, "epoch": p.epoch, "version": p.version,
            "release": p.release, "arch": p.arch, "repo": p.reponame, "location": p.location,
            "sourcerpm": p.sourcerpm,
            "checksum": {"type": hawkey.chksum_name(c[0]), "value": c[1].hex()} if c else None,
            "provides": deps(p.provides), "requires": deps(p.requires),
            "requiresPre": deps(p.requires_pre), "recommends": deps(p.recommends),
            "suggests": deps(p.suggests), "supplements": deps(p.supplements),
            "enhances": deps(p.enhances), "conflicts": deps(p.conflicts),
            "obsoletes": deps(p.obsoletes), "files": sorted(p.files),
        })
    out.sort(key=lambda x: (x["name"], x["epoch"], x["version"], x["release"], x["arch"]))
    sys.stdout.write(json.dumps(out))
finally:
    base.close()
`;

function toUrl(pathOrUrl: string): string {
  return isAbsolute(pathOrUrl) ? pathToFileURL(pathOrUrl).href : pathOrUrl;
}

/** An isolated dnf client; create with {@linkcode DnfClient.create} or {@linkcode withDnf}. */
export class DnfClient implements AsyncDisposable {
  /** Temp folder holding config, repos and the installroot. */
  readonly dir: string;
  /** Repository ids, in the order given. */
  readonly repoIds: string[];
  #releasever: string;
  #arch?: string;
  #downloads = 0;

  private constructor(dir: string, repoIds: string[], releasever: string, arch?: string) {
    this.dir = dir;
    this.repoIds = repoIds;
    this.#releasever = releasever;
    this.#arch = arch;
  }

  /** Writes the isolated configuration and .repo file (no network access yet). */
  static async create(options: DnfOptions): Promise<DnfClient> {
    requireTool("dnf");
    const py = await run(PYTHON, ["-c", "import dnf, dnf.cli, dnf.plugin, hawkey"]);
    if (py.code !== 0) {
      throw new Error(
        `${PYTHON} cannot import dnf (${py.stderr.trim()}). Install it: apt-get install -y python3-dnf`,
      );
    }
    const repos = Array.isArray(options.repos) ? options.repos : [options.repos];
    const ids = repos.map((r, i) => r.id ?? (i === 0 ? "test" : `test${i + 1}`));
    const dir = await mkdtemp(join(tmpdir(), "dnf-"));
    try {
      for (const sub of ["repos", "vars", "root", "downloads"]) {
        await mkdir(join(dir, sub));
      }
      // cachedir/persistdir/logdir are prefixed with the installroot by dnf itself.
      await writeFile(
        join(dir, "dnf.conf"),
        [
          "[main]",
          "cachedir=/var/cache/dnf",
          "persistdir=/var/lib/dnf",
          "logdir=/var/log",
          "gpgcheck=0",
          "repo_gpgcheck=0",
          "skip_if_unavailable=0",
          "install_weak_deps=0",
          // always re-read repomd.xml: tests republish repositories between commands
          "metadata_expire=0",
          "keepcache=0",
          "",
        ].join("\n"),
      );
      const text = repos.map((r, i) =>
        [
          `[${ids[i]}]`,
          `name=${ids[i]}`,
          `baseurl=${r.baseurl}`,
          `gpgcheck=${r.gpgcheck ? 1 : 0}`,
          `repo_gpgcheck=${r.repoGpgcheck ? 1 : 0}`,
          ...(r.gpgkey ? [`gpgkey=${toUrl(r.gpgkey)}`] : []),
          "enabled=1",
          "",
        ].join("\n")
      ).join("\n");
      await writeFile(join(dir, "repos", "test.repo"), text);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    return new DnfClient(dir, ids, options.releasever ?? "mkrepo-test", options.arch);
  }

  /** The options every dnf command gets. */
  get baseArgs(): string[] {
    return [
      "-c",
      join(this.dir, "dnf.conf"),
      "--installroot",
      join(this.dir, "root"),
      "--releasever",
      this.#releasever,
      `--setopt=reposdir=${join(this.dir, "repos")}`,
      `--setopt=varsdir=${join(this.dir, "vars")}`,
      "--disableplugin=*",
      "--enableplugin=download",
      "--assumeyes",
      ...(this.#arch ? [`--forcearch=${this.#arch}`] : []),
    ];
  }

  /** Runs `dnf <baseArgs> args`. */
  async run(args: string[], options: { cwd?: string } = {}): Promise<DnfResult> {
    const r = await run(requireTool("dnf"), [...this.baseArgs, ...args], {
      cwd: options.cwd ?? this.dir,
    });
    return { ...r, ok: r.code === 0 };
  }

  /** `dnf makecache`: downloads and checks repomd.xml (+ .asc), primary, filelists, other. */
  makecache(): Promise<DnfResult> {
    return this.run(["makecache"]);
  }

  /** Every package of the repositories, with dependencies and files (throws on failure). */
  async repoquery(): Promise<DnfPackage[]> {
    const root = join(this.dir, "root");
    const cfg = {
      config: join(this.dir, "dnf.conf"),
      cachedir: join(root, "var/cache/dnf"),
      persistdir: join(root, "var/lib/dnf"),
      logdir: join(root, "var/log"),
      reposdir: join(this.dir, "repos"),
      releasever: this.#releasever,
      arch: this.#arch ?? null,
    };
    const r = await run(PYTHON, ["-c", REPOQUERY_PY, JSON.stringify(cfg)], { cwd: this.dir });
    if (r.code !== 0) throw new Error(`dnf repoquery (python) failed (${r.code}):\n${r.stderr}`);
    return JSON.parse(r.stdout) as DnfPackage[];
  }

  /**
   * `dnf download <spec>` (a NEVRA such as "Archer-2:3.4.5-6.x86_64" or a name) into a fresh
   * folder; dnf verifies the checksum from primary.xml. Returns the file path; throws on failure.
   */
  async download(spec: string, extraArgs: string[] = []): Promise<string> {
    const dest = join(this.dir, "downloads", String(++this.#downloads));
    await mkdir(dest);
    const r = await this.run(["download", "--destdir", dest, ...extraArgs, spec]);
    const files = (await readdir(dest)).filter((n) => n.endsWith(".rpm"));
    if (!r.ok || files.length !== 1) {
      throw new Error(`dnf download ${spec} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return join(dest, files[0]);
  }

  /** Stops gpg-agents librepo started for repo keyrings, then removes the temp folder. */
  async dispose(): Promise<void> {
    for await (const home of findGpgHomes(join(this.dir, "root"))) await killGpgAgent(home);
    await rm(this.dir, { recursive: true, force: true });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** Folders named "pubring" (librepo's per-repo GNUPGHOME) under `dir`. */
async function* findGpgHomes(dir: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const p = join(dir, e.name);
    if (e.name === "pubring") yield p;
    else yield* findGpgHomes(p);
  }
}

/** Creates a {@linkcode DnfClient}, runs `fn` with it and removes it in `finally`. */
export async function withDnf<T>(
  options: DnfOptions,
  fn: (dnf: DnfClient) => Promise<T>,
): Promise<T> {
  const dnf = await DnfClient.create(options);
  try {
    return await fn(dnf);
  } finally {
    await dnf.dispose();
  }
}
