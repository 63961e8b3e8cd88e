/**
 * The command line: one option table for node:util parseArgs (strict), turned into typed options.
 * Every flag of the original tarantool/mkrepo is accepted (`--temp-dir` is ignored).
 * @module
 */
import { parseArgs } from "node:util";
import { MkrepoError } from "../errors.ts";
import type { HashName } from "../record/checksums.ts";

/** One option of the table, with the text `--help` shows for it. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Value name shown in help ("URL", "N"). */
  arg?: string;
  help: string;
  /** Help section. */
  group: "general" | "s3" | "signing" | "deb" | "rpm" | "compat";
  /** Subcommands the option applies to ("update" is the default command). */
  commands?: readonly Command[];
}

/** Subcommands. */
export type Command = "update" | "verify" | "keygen";

/** The option table; `--help` and the parser both come from it. */
export const OPTIONS = {
  help: { type: "boolean", short: "h", help: "show this help and exit", group: "general" },
  version: { type: "boolean", short: "V", help: "print the version and exit", group: "general" },
  "dry-run": {
    type: "boolean",
    short: "n",
    help: "read and plan everything, print what would be written, write nothing",
    group: "general",
  },
  json: {
    type: "boolean",
    help: "print one JSON object describing the run on stdout (progress stays on stderr)",
    group: "general",
  },
  quiet: { type: "boolean", short: "q", help: "print only warnings and errors", group: "general" },
  verbose: {
    type: "boolean",
    short: "v",
    help: "print every package read or skipped, and full error causes",
    group: "general",
  },
  concurrency: {
    type: "string",
    arg: "N",
    help: "packages read in parallel (default: 4 on disk, 16 on S3)",
    group: "general",
  },
  force: {
    type: "boolean",
    help: "skip malformed packages instead of failing; list them in malformed_list.txt",
    group: "general",
  },
  sign: {
    type: "boolean",
    help: "sign the metadata (key from MKREPO_SIGNING_KEY, --sign-key-file or GPG_SIGN_KEY)",
    group: "signing",
  },
  "sign-key-file": {
    type: "string",
    arg: "FILE",
    help: "armored OpenPGP private key to sign with (implies --sign)",
    group: "signing",
  },
  "public-key": {
    type: "string",
    arg: "NAME",
    help: "also publish the signing public key under this name in the repository (e.g. key.asc)",
    group: "signing",
  },
  key: {
    type: "string",
    arg: "FILE",
    help: "verify: armored public key the signatures must verify with",
    group: "signing",
    commands: ["verify"],
  },
  deep: {
    type: "boolean",
    help: "verify: also read every package and check its hashes (default: sizes only)",
    group: "general",
    commands: ["verify"],
  },
  "s3-endpoint": {
    type: "string",
    arg: "URL",
    help: "S3-compatible endpoint (MinIO, Ceph RGW, R2...); implies path-style addressing",
    group: "s3",
  },
  "s3-region": {
    type: "string",
    arg: "REGION",
    help: "default: from the AWS chain, else us-east-1",
    group: "s3",
  },
  "s3-access-key-id": {
    type: "string",
    arg: "ID",
    help: "else the AWS SDK default chain (env, ~/.aws profiles, SSO, roles)",
    group: "s3",
  },
  "s3-secret-access-key": {
    type: "string",
    arg: "KEY",
    help: "secret for --s3-access-key-id",
    group: "s3",
  },
  "s3-public-read": {
    type: "boolean",
    help: "give what mkrepo writes the public-read ACL",
    group: "s3",
  },
  "s3-storage-class": {
    type: "string",
    arg: "CLASS",
    help: "storage class of written objects",
    group: "s3",
  },
  "s3-sse": {
    type: "string",
    arg: "ALG",
    help: "server-side encryption: AES256 or aws:kms",
    group: "s3",
  },
  "s3-sse-kms-key-id": {
    type: "string",
    arg: "ID",
    help: "KMS key id for --s3-sse aws:kms",
    group: "s3",
  },
  "deb-origin": {
    type: "string",
    arg: "TEXT",
    help: "Release Origin (env MKREPO_DEB_ORIGIN)",
    group: "deb",
  },
  "deb-label": {
    type: "string",
    arg: "TEXT",
    help: "Release Label (env MKREPO_DEB_LABEL)",
    group: "deb",
  },
  "deb-description": {
    type: "string",
    arg: "TEXT",
    help: "Release Description (env MKREPO_DEB_DESCRIPTION)",
    group: "deb",
  },
  "deb-architectures": {
    type: "string",
    arg: "LIST",
    help:
      "architectures every dist declares, comma-separated (empty indexes for those with no packages)",
    group: "deb",
  },
  "deb-components": {
    type: "string",
    arg: "LIST",
    help: "components recognised in pool/<dist>/<component>/ (default: main)",
    group: "deb",
  },
  "deb-hashes": {
    type: "string",
    arg: "LIST",
    help: "package digests in Packages: md5,sha256 by default; add sha1 and/or sha512",
    group: "deb",
  },
  "rpm-compression": {
    type: "string",
    arg: "ALG",
    help: "repodata compression: gzip (default, every client), xz or zstd (breaks EL7)",
    group: "rpm",
  },
  "temp-dir": {
    type: "string",
    arg: "DIR",
    help: "accepted for compatibility with the original mkrepo; mkrepo writes no temp files",
    group: "compat",
  },
  "name": {
    type: "string",
    arg: "NAME",
    help: "keygen: user name of the key",
    group: "signing",
    commands: ["keygen"],
  },
  "email": {
    type: "string",
    arg: "EMAIL",
    help: "keygen: e-mail of the key",
    group: "signing",
    commands: ["keygen"],
  },
  "type": {
    type: "string",
    arg: "TYPE",
    help: "keygen: ed25519 (default) or rsa4096",
    group: "signing",
    commands: ["keygen"],
  },
  "out": {
    type: "string",
    arg: "PREFIX",
    help: "keygen: write PREFIX.key (private, mode 600) and PREFIX.asc (public) instead of stdout",
    group: "signing",
    commands: ["keygen"],
  },
} as const satisfies Record<string, OptionSpec>;

/** Parsed command line. */
export interface CliOptions {
  command: Command;
  paths: string[];
  help: boolean;
  version: boolean;
  dryRun: boolean;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  concurrency?: number;
  force: boolean;
  sign: boolean;
  signKeyFile?: string;
  publicKey?: string;
  verifyKey?: string;
  deep: boolean;
  s3: {
    endpoint?: string;
    region?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    publicRead: boolean;
    storageClass?: string;
    sse?: string;
    sseKmsKeyId?: string;
  };
  deb: {
    origin?: string;
    label?: string;
    description?: string;
    architectures: string[];
    components: string[];
    hashes: HashName[];
  };
  rpmCompression: "gzip" | "xz" | "zstd";
  keygen: { name?: string; email?: string; type: "ed25519" | "rsa4096"; out?: string };
}

function usage(reason: string, hint = "run `mkrepo --help` for the options"): MkrepoError {
  return new MkrepoError({ code: "usage", reason, hint, action: "run" });
}

function list(value: string | undefined): string[] {
  return (value ?? "").split(/[,\s]+/).filter((s) => s !== "");
}

/** Parses argv (without the program name) into CliOptions; throws MkrepoError code "usage". */
export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(OPTIONS).map(([name, o]) => [
          name,
          "short" in o ? { type: o.type, short: o.short } : { type: o.type },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw usage(msg.replace(/^Unknown option/, "unknown option").replace(/\. To specify.*$/, ""));
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (k: string) => v[k] as string | undefined;
  const bool = (k: string) => v[k] === true;

  let positionals = parsed.positionals;
  let command: Command = "update";
  if (positionals[0] === "verify" || positionals[0] === "keygen") {
    command = positionals[0];
    positionals = positionals.slice(1);
  }
  for (const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
    if (spec.commands && v[name] !== undefined && !spec.commands.includes(command)) {
      throw usage(`option --${name} only applies to: mkrepo ${spec.commands.join(", ")}`);
    }
  }

  let concurrency: number | undefined;
  if (str("concurrency") !== undefined) {
    concurrency = Number(str("concurrency"));
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
      throw usage(`--concurrency must be an integer from 1 to 256, not "${str("concurrency")}"`);
    }
  }
  const hashes = list(str("deb-hashes") ?? "md5,sha256");
  for (const h of hashes) {
    if (!["md5", "sha1", "sha256", "sha512"].includes(h)) {
      throw usage(`--deb-hashes: unknown digest "${h}" (use md5, sha1, sha256, sha512)`);
    }
  }
  if (!hashes.includes("sha256")) hashes.push("sha256");
  if (!hashes.includes("md5")) hashes.unshift("md5");
  const rpmCompression = str("rpm-compression") ?? "gzip";
  if (!["gzip", "xz", "zstd"].includes(rpmCompression)) {
    throw usage(`--rpm-compression must be gzip, xz or zstd, not "${rpmCompression}"`);
  }
  const sse = str("s3-sse");
  if (sse !== undefined && sse !== "AES256" && sse !== "aws:kms") {
    throw usage(`--s3-sse must be AES256 or aws:kms, not "${sse}"`);
  }
  const keyType = str("type") ?? "ed25519";
  if (keyType !== "ed25519" && keyType !== "rsa4096") {
    throw usage(`--type must be ed25519 or rsa4096, not "${keyType}"`);
  }
  if (bool("quiet") && bool("verbose")) throw usage("--quiet and --verbose cannot be combined");

  const options: CliOptions = {
    command,
    paths: positionals,
    help: bool("help"),
    version: bool("version"),
    dryRun: bool("dry-run"),
    json: bool("json"),
    quiet: bool("quiet"),
    verbose: bool("verbose"),
    concurrency,
    force: bool("force"),
    sign: bool("sign") || str("sign-key-file") !== undefined,
    signKeyFile: str("sign-key-file"),
    publicKey: str("public-key"),
    verifyKey: str("key"),
    deep: bool("deep"),
    s3: {
      endpoint: str("s3-endpoint"),
      region: str("s3-region"),
      accessKeyId: str("s3-access-key-id"),
      secretAccessKey: str("s3-secret-access-key"),
      publicRead: bool("s3-public-read"),
      storageClass: str("s3-storage-class"),
      sse,
      sseKmsKeyId: str("s3-sse-kms-key-id"),
    },
    deb: {
      origin: str("deb-origin"),
      label: str("deb-label"),
      description: str("deb-description"),
      architectures: list(str("deb-architectures")),
      components: list(str("deb-components") ?? "main"),
      hashes: hashes as HashName[],
    },
    rpmCompression: rpmCompression as CliOptions["rpmCompression"],
    keygen: { name: str("name"), email: str("email"), type: keyType, out: str("out") },
  };
  if (options.help || options.version) return options;
  if (command !== "keygen" && options.paths.length === 0) {
    throw usage(
      command === "verify"
        ? "verify needs a PATH"
        : "missing PATH (a folder or s3://bucket/prefix)",
      command === "verify"
        ? "usage: mkrepo verify [--deep] [--key FILE] PATH"
        : "usage: mkrepo [options] PATH [PATH...]; see mkrepo --help",
    );
  }
  if (command === "keygen" && options.paths.length > 0) {
    throw usage(
      `keygen takes no PATH (got "${options.paths[0]}")`,
      "usage: mkrepo keygen --name NAME --email EMAIL [--out PREFIX]",
    );
  }
  if (options.s3.secretAccessKey !== undefined && options.s3.accessKeyId === undefined) {
    throw usage("--s3-secret-access-key needs --s3-access-key-id");
  }
  return options;
}
