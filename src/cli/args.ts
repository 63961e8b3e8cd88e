/**
 * The command line: node:util parseArgs (strict) over the option table of options.ts, turned
 * into typed options. Every flag of the original tarantool/mkrepo is accepted (`--temp-dir` is
 * ignored).
 * @module
 */
import { parseArgs } from "node:util";
import { MkrepoError } from "../errors.ts";
import type { HashName } from "../record/checksums.ts";
import { debArchitectureProblem } from "../record/deb_fields.ts";
import { type Command, OPTIONS, type OptionSpec } from "./options.ts";

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
  for (const arch of options.deb.architectures) {
    if (debArchitectureProblem(arch)) {
      throw usage(`--deb-architectures: "${arch}" is not an architecture name (e.g. amd64)`);
    }
  }
  for (const component of options.deb.components) {
    // a component becomes dists/<dist>/<component>/: Debian's archive area names
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(component)) {
      throw usage(`--deb-components: "${component}" is not a component name (e.g. main)`);
    }
  }
  if (options.s3.secretAccessKey !== undefined && options.s3.accessKeyId === undefined) {
    throw usage("--s3-secret-access-key needs --s3-access-key-id");
  }
  return options;
}
