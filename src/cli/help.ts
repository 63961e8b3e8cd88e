/**
 * Text of `mkrepo --help`: usage, every option of the table (grouped), environment variables,
 * examples for local disk, AWS S3, MinIO, R2 and signing, and exit codes.
 * @module
 */
import { OPTIONS, type OptionSpec } from "./options.ts";
import { VERSION } from "../version.ts";

const GROUPS: [OptionSpec["group"], string][] = [
  ["general", "Options"],
  ["signing", "Signing"],
  ["s3", "S3 (s3://bucket/prefix paths)"],
  ["deb", "Debian repositories"],
  ["rpm", "RPM repositories"],
  ["compat", "Compatibility"],
];

function optionLines(group: OptionSpec["group"]): string[] {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
    if (spec.group !== group) continue;
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const flag = `${short}--${name}${spec.arg ? " " + spec.arg : ""}`;
    lines.push(`  ${flag.padEnd(30)} ${spec.help}`);
  }
  return lines;
}

/** One usage line per command, shown by `--help` and in usage errors' hints. */
export const USAGE = {
  update: "mkrepo [options] PATH [PATH...]",
  remove: "mkrepo remove [--dry-run] [options] PATH PATTERN...",
  verify: "mkrepo verify [--deep] [--key FILE] [--json] [--concurrency N] PATH",
  settings: "mkrepo settings [--json] PATH",
  keygen: "mkrepo keygen --name NAME --email EMAIL [--type ed25519|rsa4096] [--out PREFIX]",
} as const;

/** The full help text. */
export function helpText(): string {
  const sections = GROUPS.map(([g, title]) => `${title}:\n${optionLines(g).join("\n")}`);
  return `mkrepo ${VERSION} — build signed apt and dnf/yum repositories from a folder of packages

Usage:
  ${USAGE.update}     update the repository at each PATH
  ${USAGE.remove}
                                      take packages out of the index; their files are
                                      deleted after the grace (see below)
  ${USAGE.verify}
                                      check a published repository end to end
  ${USAGE.settings}       print the settings the repository records (mkrepo.json)
  ${USAGE.keygen}
                                      create a signing key pair (no gpg needed)

PATH is a local folder or s3://bucket/prefix. A PATH holding pool/ is a Debian repository
(pool/<dist>/<component>/... → dists/<dist>/...; other files under pool/ → dist "all");
a PATH holding Packages/ is an RPM repository (→ repodata/). Only new or changed packages are
read; removed ones leave the indexes. Options that shape the result (signing key, public read,
architectures, components, Release fields, digests, compression, --public-key) are recorded in
PATH/mkrepo.json and reused by later runs; a signed repository is never unsigned by a run that
lacks the key (use --no-sign to do it on purpose).

Lifecycle: --keep N keeps the N newest versions of each package (per dist, component, name
and architecture for Debian, source packages by name; per name and architecture for RPM; in
dpkg's or rpm's version order), --keep-days D also drops versions first seen (uploaded) more
than D days ago but never a package's newest. Both are recorded and apply to every later run;
0 turns one off. "mkrepo remove PATH PATTERN..." takes the packages a PATTERN matches out of
the index: a PATTERN is a package name (hello), a file name (hello_2.10-3_amd64.deb) or a
key (pool/main/h/hello/hello_2.10-3_amd64.deb), with shell globs (* ? [..]; quote them).
Either way the files stay for the grace period (--grace, default 1h, recorded), so clients
holding the previous index can still download them, and are deleted by the first run after
it; until then they are listed as pending in PATH/mkrepo-cleanup.json. Upload a file again
to bring it back. --dry-run lists what would leave the index and what would be deleted.

${sections.join("\n\n")}

Environment:
  MKREPO_SIGNING_KEY            armored private key used by --sign
  MKREPO_SIGNING_PASSPHRASE     its passphrase, if any
  GPG_SIGN_KEY                  key id in your gpg keyring (original mkrepo; needs gpg installed)
  MKREPO_DEB_ORIGIN, MKREPO_DEB_LABEL, MKREPO_DEB_DESCRIPTION
                                Release fields (flags take precedence)
  SOURCE_DATE_EPOCH             Release Date, for reproducible output
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION,
  AWS_ENDPOINT_URL              the AWS SDK's usual settings

Examples:
  mkrepo ./repo                                   local folder with pool/ or Packages/
  mkrepo --json ./repo | jq .repos[0].added       machine-readable summary
  mkrepo s3://my-bucket/apt                       AWS S3, credentials from the usual chain
  mkrepo --s3-endpoint http://127.0.0.1:9000 --s3-region us-east-1 s3://repo/rpm
                                                  MinIO
  mkrepo --s3-endpoint https://ACCOUNT.r2.cloudflarestorage.com --s3-region auto s3://bucket/deb
                                                  Cloudflare R2 (use a bucket policy, not --s3-public-read)
  mkrepo keygen --name "Repo" --email repo@example.com --out signing
  MKREPO_SIGNING_KEY="$(cat signing.key)" mkrepo --sign --public-key key.asc ./repo
  mkrepo --keep 3 --keep-days 90 s3://my-bucket/apt   keep 3 versions, none older than 90 days
  mkrepo remove --dry-run ./repo 'hello_2.10-3_*'  what removing one release would do
  mkrepo verify --deep --key signing.asc ./repo

Exit codes: 0 done, 1 failed (the published repository is left as it was), 2 usage error,
3 a publication failed and could not be undone (partly new; run mkrepo again to repair).
`;
}
