/**
 * `mkrepo verify PATH`: checks a published repository end to end, as a client would see it.
 * Every file an entry point names exists with the right size and digests; every package an
 * index names exists with the right size (and, with `deep`, the right digests); signatures
 * verify against the given public key. Problems are collected, never thrown one by one.
 * @module
 */
import { readAll, readText, type Storage } from "../storage/storage.ts";
import { MkrepoError } from "../errors.ts";
import type { Checksums } from "../record/checksums.ts";
import { parseRelease } from "../index/deb/release_file.ts";
import { stripClearSign } from "../record/clear_signed.ts";
import { readParagraphs } from "../record/deb822_stream.ts";
import { compressionOf, decompress } from "../util/decompress.ts";
import { packageFromParagraph, sourceFromParagraph } from "../index/deb/paragraph_records.ts";
import { verifyRpmRepository } from "./verify_rpm.ts";
import { runPooled } from "../util/bounded_pool.ts";
import {
  checkFile,
  INDEX_CHECKS_IN_FLIGHT,
  type VerifyContext,
  type VerifyOptions,
  type VerifyReport,
} from "./verify_checks.ts";
import { readRecordedSettings, repositoryKind } from "./read_settings.ts";
import { verifyPublicRead } from "./verify_public.ts";
import { readCleanupRecord } from "../publish/unreferenced.ts";

export type { VerifyOptions, VerifyReport } from "./verify_checks.ts";

/** Verifies the repository in `storage`. */
export async function verifyRepository(
  storage: Storage,
  path: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const objects = await Array.fromAsync(storage.list(""));
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const recorded = await readRecordedSettings(storage, byKey).catch(() => undefined);
  const report: VerifyReport = {
    path,
    kind: repositoryKind(objects, recorded?.settings),
    ok: false,
    problems: [],
    unreferenced: [],
    checked: { indexFiles: 0, packages: 0, signatures: 0 },
  };
  const ctx: VerifyContext = {
    storage,
    byKey,
    options,
    report,
    named: new Set(),
  };
  try {
    if (report.kind === "deb") await verifyDeb(ctx);
    else if (report.kind === "rpm") await verifyRpmRepository(ctx);
    else report.problems.push("neither pool/ (Debian) nor Packages/ (RPM) found");
    await verifyPublicRead(ctx, recorded?.settings);
  } catch (err) {
    // Damage the checks did not foresee (an unreadable entry point or index) is one more
    // problem of the report, not a crash that hides the others.
    report.problems.push(
      `verification stopped: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  report.ok = report.problems.length === 0;
  if (!ctx.incomplete && !report.problems.some((p) => p.startsWith("verification stopped"))) {
    report.unreferenced = await unreferencedFiles(ctx);
  }
  return report;
}

/**
 * Files of the repository's own folders that nothing names and no cleanup record lists as
 * pending (an unreadable record counts as listing nothing).
 */
async function unreferencedFiles(ctx: VerifyContext): Promise<string[]> {
  const record = await readCleanupRecord(ctx.storage, ctx.byKey).catch(() => undefined);
  const pending = new Set([...record?.unreferenced.keys() ?? [], ...record?.packages.keys() ?? []]);
  const folders = ctx.report.kind === "rpm" ? ["repodata/", "Packages/"] : ["dists/", "pool/"];
  return [...ctx.byKey.keys()].filter((key) =>
    folders.some((f) => key.startsWith(f)) && !ctx.named.has(key) && !pending.has(key)
  ).sort();
}

async function verifyDeb(ctx: VerifyContext): Promise<void> {
  const { storage, byKey, report, options } = ctx;
  const dists = new Set<string>();
  for (const key of byKey.keys()) {
    const m = /^dists\/([^/]+)\/(InRelease|Release)$/.exec(key);
    if (m) dists.add(m[1]);
  }
  if (dists.size === 0) {
    report.problems.push("no dists/<dist>/Release or InRelease: nothing is published");
  }
  const packageKeys = new Map<string, Checksums>();
  for (const dist of [...dists].sort()) {
    const base = `dists/${dist}/`;
    for (const name of ["InRelease", "Release", "Release.gpg", "malformed_list.txt"]) {
      ctx.named.add(base + name);
    }
    let releaseText: string | undefined;
    if (byKey.has(base + "InRelease")) {
      const inRelease = await readText(storage, base + "InRelease");
      try {
        releaseText = stripClearSign(inRelease, { key: base + "InRelease" });
      } catch (err) {
        report.problems.push(`${base}InRelease: ${err instanceof MkrepoError ? err.reason : err}`);
      }
      if (options.publicKey) {
        report.checked.signatures++;
        const { verifyClearSigned } = await import("../sign/openpgp_verify.ts");
        const r = await verifyClearSigned(inRelease, options.publicKey);
        if (!r.ok) {
          report.problems.push(`${base}InRelease: signature does not verify (${r.reason})`);
        }
      }
    }
    if (byKey.has(base + "Release")) {
      const releaseBytes = await readAll(storage, base + "Release");
      const plain = new TextDecoder().decode(releaseBytes);
      if (releaseText !== undefined && releaseText.trimEnd() !== plain.trimEnd()) {
        report.problems.push(`${base}Release differs from the text signed in ${base}InRelease`);
      }
      releaseText ??= plain;
      if (byKey.has(base + "Release.gpg") && options.publicKey) {
        report.checked.signatures++;
        const { verifyDetached } = await import("../sign/openpgp_verify.ts");
        const r = await verifyDetached(
          releaseBytes,
          await readText(storage, base + "Release.gpg"),
          options.publicKey,
        );
        if (!r.ok) {
          report.problems.push(`${base}Release.gpg: signature does not verify (${r.reason})`);
        }
      }
    }
    if (options.publicKey && !byKey.has(base + "InRelease") && !byKey.has(base + "Release.gpg")) {
      report.problems.push(`${base}: not signed (no InRelease or Release.gpg)`);
    }
    if (releaseText === undefined) continue;
    const release = parseRelease(releaseText);
    const byHash = /^yes$/i.test(release.fields.get("Acquire-By-Hash") ?? "");
    const tasks: (() => Promise<unknown>)[] = [];
    for (const [path, sums] of release.entries) {
      const key = base + path;
      tasks.push(async () => {
        report.checked.indexFiles++;
        await checkFile(ctx, key, sums, "index", true);
        const dir = key.slice(0, key.lastIndexOf("/") + 1);
        if (sums.sha512) ctx.named.add(`${dir}by-hash/SHA512/${sums.sha512}`);
        if (byHash && sums.sha256) {
          await checkFile(
            ctx,
            `${dir}by-hash/SHA256/${sums.sha256}`,
            sums,
            "by-hash copy",
            options.deep ?? false,
          );
        }
      });
    }
    await runPooled(tasks, INDEX_CHECKS_IN_FLIGHT, (check) => check());
    for (const [path] of release.entries) {
      const m = /^(.*\/(Packages|Sources))(\.gz|\.xz)?$/.exec(path);
      if (!m || (m[3] && release.entries.has(m[1]))) continue; // read the plain form when listed
      if (m[3] === ".xz" && release.entries.has(m[1] + ".gz")) continue;
      if (!byKey.has(base + path)) continue;
      try {
        await collectIndexPackages(ctx, base + path, m[2] as "Packages" | "Sources", packageKeys);
      } catch (err) {
        ctx.incomplete = true;
        report.problems.push(`${base}${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  report.checked.packages = packageKeys.size;
  await runPooled(
    packageKeys,
    options.concurrency ?? 4,
    ([key, sums]) => checkFile(ctx, key, sums, "package", options.deep ?? false),
  );
}

/** Adds the package files a Packages or Sources index names (with their checksums). */
async function collectIndexPackages(
  ctx: VerifyContext,
  key: string,
  kind: "Packages" | "Sources",
  packageKeys: Map<string, Checksums>,
): Promise<void> {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const compression = compressionOf(name, kind, { key });
  const stream = decompress(await ctx.storage.read(key), compression, {
    key,
    name,
    maxOutput: 1 << 30,
  });
  for await (const fields of readParagraphs(stream, { key })) {
    if (kind === "Packages") {
      const p = packageFromParagraph(fields, { key });
      packageKeys.set(p.key, p.checksums);
    } else {
      const s = sourceFromParagraph(fields, { key });
      const dir = s.key.slice(0, s.key.lastIndexOf("/") + 1);
      for (const f of s.files) packageKeys.set(dir + f.name, f.checksums);
    }
  }
}
