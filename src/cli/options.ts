/**
 * The option table of the command line: every flag, its type, value name, help text, help
 * section and subcommands. `--help` (help.ts) and the parser (args.ts) both come from it.
 * @module
 */

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
export type Command = "update" | "remove" | "verify" | "keygen" | "settings";

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
    help: "packages read (verify: checked) in parallel (default: 4 on disk, 16 on S3)",
    group: "general",
  },
  force: {
    type: "boolean",
    help: "skip malformed packages instead of failing; list them in malformed_list.txt",
    group: "general",
  },
  grace: {
    type: "string",
    arg: "TIME",
    help: "keep files no index names for this long before deleting them, e.g. 30m, 1h, 2d, 0 " +
      "(recorded; default 1h)",
    group: "general",
    commands: ["update", "remove"],
  },
  keep: {
    type: "string",
    arg: "N",
    help: "keep the N newest versions of each package; older ones leave the index and their " +
      "files are deleted after the grace (recorded; 0: keep all, the default)",
    group: "general",
    commands: ["update", "remove"],
  },
  "keep-days": {
    type: "string",
    arg: "D",
    help: "also drop versions first seen more than D days ago, never a package's newest " +
      "(recorded; 0: no limit, the default)",
    group: "general",
    commands: ["update", "remove"],
  },
  sign: {
    type: "boolean",
    help: "sign the metadata (key from MKREPO_SIGNING_KEY, --sign-key-file, GPG_SIGN_KEY, " +
      "else gpg's default key)",
    group: "signing",
  },
  "no-sign": {
    type: "boolean",
    help: "publish unsigned on purpose, also a repository that was signed (recorded)",
    group: "signing",
    commands: ["update"],
  },
  "replace-key": {
    type: "boolean",
    help: "sign with a key other than the recorded one on purpose; it replaces it (recorded)",
    group: "signing",
    commands: ["update"],
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
    help: "also publish the signing public key under this name in the repository (e.g. key.asc); " +
      "needs a signing run (--sign, or a repository that records its signature)",
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
    help: "give what mkrepo writes, and every package, the public-read ACL (recorded)",
    group: "s3",
  },
  "no-s3-public-read": {
    type: "boolean",
    help: "stop giving written objects the public-read ACL (recorded; existing ACLs stay)",
    group: "s3",
    commands: ["update"],
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
