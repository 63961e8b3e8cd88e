/**
 * The command line: node:util parseArgs (strict) over the option table of options.ts, turned
 * into typed options. Every flag of the original tarantool/mkrepo is accepted (`--temp-dir` is
 * ignored).
 * @module
 */
import { parseArgs } from "node:util";
import { MkrepoError } from "../errors.ts";
import { DEFAULT_DEB_HASHES, type HashName, isHashName } from "../record/checksums.ts";
import { debArchitectureProblem } from "../record/deb_fields.ts";
import { type Command, OPTIONS, type OptionSpec } from "./options.ts";
import { USAGE } from "./help.ts";
import type { S3Settings } from "../storage/open_storage.ts";

function isSse(value: string): value is NonNullable<S3Settings["sse"]> {
  return value === "AES256" || value === "aws:kms";
}

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
  /** --grace, in seconds. */
  graceSeconds?: number;
  /** --keep N (0: off); undefined when not given. */
  keep?: number;
  /** --keep-days D (0: off); undefined when not given. */
  keepDays?: number;
  /** `mkrepo remove PATH PATTERN...`: the patterns. */
  patterns: string[];
  force: boolean;
  sign: boolean;
  /** --no-sign: publish unsigned on purpose. */
  noSign: boolean;
  /** --replace-key: accept a key other than the recorded one. */
  replaceKey: boolean;
  signKeyFile?: string;
  publicKey?: string;
  verifyKey?: string;
  deep: boolean;
  /** The S3 flags, as the storage takes them (plus --no-s3-public-read). */
  s3:
    & Pick<
      S3Settings,
      | "endpoint"
      | "region"
      | "accessKeyId"
      | "secretAccessKey"
      | "storageClass"
      | "sse"
      | "sseKmsKeyId"
    >
    & {
      publicRead: boolean;
      /** --no-s3-public-read. */
      noPublicRead: boolean;
    };
  /** Options that shape the repository: undefined when not given (the recorded value stays). */
  deb: {
    origin?: string;
    label?: string;
    description?: string;
    architectures?: string[];
    components?: string[];
    hashes?: HashName[];
  };
  rpmCompression?: "gzip" | "xz" | "zstd";
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
  if (
    positionals[0] === "verify" || positionals[0] === "keygen" || positionals[0] === "settings" ||
    positionals[0] === "remove"
  ) {
    command = positionals[0];
    positionals = positionals.slice(1);
  }
  let patterns: string[] = [];
  if (command === "remove") {
    [positionals, patterns] = [positionals.slice(0, 1), positionals.slice(1)];
  }
  for (const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
    if (spec.commands && v[name] !== undefined && !spec.commands.includes(command)) {
      throw usage(`option --${name} only applies to: mkrepo ${spec.commands.join(", ")}`);
    }
  }

  const graceText = str("grace");
  let graceSeconds: number | undefined;
  if (graceText !== undefined) {
    graceSeconds = parseDuration(graceText);
    if (graceSeconds === undefined) {
      throw usage(`--grace takes a time such as 90s, 30m, 1h or 2d, not "${graceText}"`);
    }
  }
  const count = (name: string) => {
    const text = str(name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
      throw usage(`--${name} takes a whole number (0 turns it off), not "${text}"`);
    }
    return n;
  };
  const keep = count("keep");
  const keepDays = count("keep-days");
  let concurrency: number | undefined;
  if (str("concurrency") !== undefined) {
    concurrency = Number(str("concurrency"));
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
      throw usage(`--concurrency must be an integer from 1 to 256, not "${str("concurrency")}"`);
    }
  }
  const hashes = list(str("deb-hashes") ?? DEFAULT_DEB_HASHES.join(","));
  const hashesGiven = str("deb-hashes") !== undefined;
  for (const h of hashes) {
    if (!isHashName(h)) {
      throw usage(`--deb-hashes: unknown digest "${h}" (use md5, sha1, sha256, sha512)`);
    }
  }
  if (!hashes.includes("sha256")) hashes.push("sha256");
  if (!hashes.includes("md5")) hashes.unshift("md5");
  const rpmCompression = str("rpm-compression");
  if (rpmCompression !== undefined && !["gzip", "xz", "zstd"].includes(rpmCompression)) {
    throw usage(`--rpm-compression must be gzip, xz or zstd, not "${rpmCompression}"`);
  }
  const sse = str("s3-sse");
  if (sse !== undefined && !isSse(sse)) {
    throw usage(`--s3-sse must be AES256 or aws:kms, not "${sse}"`);
  }
  const keyType = str("type") ?? "ed25519";
  if (keyType !== "ed25519" && keyType !== "rsa4096") {
    throw usage(`--type must be ed25519 or rsa4096, not "${keyType}"`);
  }
  if (bool("quiet") && bool("verbose")) throw usage("--quiet and --verbose cannot be combined");
  if (bool("no-sign") && (bool("sign") || str("sign-key-file") !== undefined)) {
    throw usage("--no-sign cannot be combined with --sign or --sign-key-file");
  }
  if (bool("s3-public-read") && bool("no-s3-public-read")) {
    throw usage("--s3-public-read and --no-s3-public-read cannot be combined");
  }
  const given = (k: string) => (str(k) !== undefined ? list(str(k)) : undefined);

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
    graceSeconds,
    keep,
    keepDays,
    patterns,
    force: bool("force"),
    sign: bool("sign") || str("sign-key-file") !== undefined,
    noSign: bool("no-sign"),
    replaceKey: bool("replace-key"),
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
      noPublicRead: bool("no-s3-public-read"),
      storageClass: str("s3-storage-class"),
      sse,
      sseKmsKeyId: str("s3-sse-kms-key-id"),
    },
    deb: {
      origin: str("deb-origin"),
      label: str("deb-label"),
      description: str("deb-description"),
      architectures: given("deb-architectures"),
      components: given("deb-components"),
      hashes: hashesGiven ? hashes as HashName[] : undefined,
    },
    rpmCompression: rpmCompression as CliOptions["rpmCompression"],
    keygen: { name: str("name"), email: str("email"), type: keyType, out: str("out") },
  };
  if (options.help || options.version) return options;
  if (command !== "keygen" && options.paths.length === 0) {
    throw usage(
      command === "verify" || command === "settings" || command === "remove"
        ? `${command} needs a PATH`
        : "missing PATH (a folder or s3://bucket/prefix)",
      command === "verify" || command === "settings" || command === "remove"
        ? `usage: ${USAGE[command]}`
        : `usage: ${USAGE.update}; see mkrepo --help`,
    );
  }
  if (command === "remove" && patterns.length === 0) {
    throw usage(
      "remove needs at least one PATTERN (a package name, file name or key; globs allowed)",
      `usage: ${USAGE.remove}`,
    );
  }
  if (command === "keygen" && options.paths.length > 0) {
    throw usage(
      `keygen takes no PATH (got "${options.paths[0]}")`,
      `usage: ${USAGE.keygen}`,
    );
  }
  for (const arch of options.deb.architectures ?? []) {
    if (debArchitectureProblem(arch)) {
      throw usage(`--deb-architectures: "${arch}" is not an architecture name (e.g. amd64)`);
    }
  }
  for (const component of options.deb.components ?? []) {
    // a component becomes dists/<dist>/<component>/: Debian's archive area names
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(component)) {
      throw usage(`--deb-components: "${component}" is not a component name (e.g. main)`);
    }
  }
  if (options.s3.secretAccessKey !== undefined && options.s3.accessKeyId === undefined) {
    throw usage("--s3-secret-access-key needs --s3-access-key-id");
  }
  // Without --sign, a repository that records its signature is signed with the configured key:
  // whether there is a key to publish is known once the recorded settings are read.
  if (options.publicKey !== undefined && options.noSign) {
    throw usage(
      "--public-key and --no-sign contradict each other (an unsigned repository has no key)",
      "drop one of them",
    );
  }
  if (options.s3.sseKmsKeyId !== undefined && sse !== "aws:kms") {
    throw usage(
      `--s3-sse-kms-key-id needs --s3-sse aws:kms (${sse ? `not ${sse}` : "none is given"})`,
      "add --s3-sse aws:kms, or drop --s3-sse-kms-key-id",
    );
  }
  return options;
}

/** Seconds of a time such as "90", "90s", "30m", "1h" or "2d"; undefined when not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "s"];
}
