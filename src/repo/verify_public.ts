/**
 * `verify` for a repository that records public read: the entry point, one index and a sample
 * of packages must be readable without credentials — an anonymous HTTP GET of their public
 * URL, as apt and dnf do. A 403 is reported with the fix.
 * @module
 */
import type { RepoSettings } from "../record/repo_settings.ts";
import { isPackageFile } from "./public_read.ts";
import type { VerifyContext } from "./verify_checks.ts";

/** Keys to probe: entry point, one index, first/middle/last package. */
function sample(ctx: VerifyContext, kind: "deb" | "rpm"): string[] {
  const keys = [...ctx.byKey.keys()].sort();
  const out: string[] = [];
  const first = (re: RegExp) => keys.find((k) => re.test(k));
  if (kind === "deb") {
    out.push(
      first(/^dists\/[^/]+\/InRelease$/) ?? first(/^dists\/[^/]+\/Release$/) ?? "",
      first(/^dists\/[^/]+\/[^/]+\/binary-[^/]+\/Packages(\.gz)?$/) ?? "",
    );
  } else {
    out.push("repodata/repomd.xml", first(/^repodata\/[0-9a-f]+-primary\.xml/) ?? "");
  }
  const packages = keys.filter((k) => isPackageFile(k, kind));
  for (const i of [0, Math.floor(packages.length / 2), packages.length - 1]) {
    if (packages[i] !== undefined) out.push(packages[i]);
  }
  return [...new Set(out.filter((k) => k !== "" && ctx.byKey.has(k)))];
}

/** Probes the sample anonymously when public read is recorded; problems go to the report. */
export async function verifyPublicRead(
  ctx: VerifyContext,
  settings: RepoSettings | undefined,
): Promise<void> {
  const storage = ctx.storage;
  if (!settings?.publicRead || !storage.publicUrl) return;
  for (const key of sample(ctx, settings.kind)) {
    const url = storage.publicUrl(key);
    if (url === undefined) return;
    let status: number;
    try {
      const res = await fetch(url, { headers: { range: "bytes=0-0" } });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      ctx.report.problems.push(
        `${key}: cannot be fetched anonymously from ${url} (${
          err instanceof Error ? err.message : String(err)
        })`,
      );
      continue;
    }
    if (status === 200 || status === 206) continue;
    ctx.report.problems.push(
      status === 403
        ? `${key} is not readable without credentials (HTTP 403 from ${url}), though the ` +
          "repository records public read: give it the public-read ACL " +
          "(aws s3api put-object-acl --acl public-read), or allow s3:GetObject to everyone " +
          "in the bucket policy"
        : `${key}: anonymous GET of ${url} answered HTTP ${status}`,
    );
  }
}
