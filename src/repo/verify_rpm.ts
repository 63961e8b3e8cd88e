/**
 * The RPM half of `mkrepo verify`: repomd.xml (and its signature), every record it names
 * (size, checksum, open checksum), and every package primary.xml names (size; with `deep`,
 * the sha256 package id).
 * @module
 */
import { readAll, readText } from "../storage/storage.ts";
import { readRepomd, REPOMD } from "../index/rpm/repomd_xml.ts";
import { readPrimary } from "../index/rpm/read_metadata.ts";
import { hashStream } from "../reader/hashing.ts";
import { type Checksums, isHashName } from "../record/checksums.ts";
import { compressionOf, decompress } from "../util/decompress.ts";
import { checkFile, INDEX_CHECKS_IN_FLIGHT, type VerifyContext } from "./verify_checks.ts";
import { runPooled } from "../util/bounded_pool.ts";

function sums(type: string, value: string, size: number | undefined): Checksums | undefined {
  const name = type === "sha" ? "sha1" : type;
  if (!isHashName(name)) return undefined;
  return { size: size ?? -1, [name]: value };
}

/** Verifies the RPM repository of a verification context. */
export async function verifyRpmRepository(ctx: VerifyContext): Promise<void> {
  const { storage, byKey, report, options } = ctx;
  if (!byKey.has(REPOMD)) {
    report.problems.push(`${REPOMD} is missing: nothing is published`);
    return;
  }
  for (const key of [REPOMD, REPOMD + ".asc", "repodata/malformed_list.txt"]) ctx.named.add(key);
  const repomdBytes = await readAll(storage, REPOMD);
  if (options.publicKey) {
    report.checked.signatures++;
    if (!byKey.has(REPOMD + ".asc")) {
      report.problems.push(`${REPOMD}: not signed (no repomd.xml.asc)`);
    } else {
      const signature = await readText(storage, REPOMD + ".asc");
      const { verifyDetached } = await import("../sign/openpgp_verify.ts");
      const r = await verifyDetached(repomdBytes, signature, options.publicKey);
      if (!r.ok) report.problems.push(`${REPOMD}.asc: signature does not verify (${r.reason})`);
    }
  }
  const repomd = readRepomd(new TextDecoder().decode(repomdBytes), { key: REPOMD });
  const failed = new Set<string>(); // record types whose file is missing or altered
  await runPooled(
    repomd.records,
    INDEX_CHECKS_IN_FLIGHT,
    async (rec) => {
      report.checked.indexFiles++;
      const key = rec.location.href;
      ctx.named.add(key);
      const expected = sums(rec.checksum.type, rec.checksum.value, rec.size);
      if (!expected) {
        report.problems.push(`${key}: unknown checksum type ${rec.checksum.type}`);
        failed.add(rec.type);
        return;
      }
      if (rec.size === undefined) expected.size = byKey.get(key)?.size ?? -1;
      if (!(await checkFile(ctx, key, expected, `record ${rec.type}`, true))) {
        failed.add(rec.type);
        return;
      }
      if (rec.openChecksum && /\.(gz|xz|zst)$/.test(key)) {
        const name = key.slice(key.lastIndexOf("/") + 1);
        const base = name.replace(/\.(gz|xz|zst)$/, "");
        const stream = decompress(await storage.read(key), compressionOf(name, base, { key }), {
          key,
          name,
          maxOutput: 8 * 2 ** 30,
        });
        const open = sums(rec.openChecksum.type, rec.openChecksum.value, rec.openSize);
        const algo = open && (Object.keys(open).find((k) => k !== "size") as "sha256");
        const actual = await hashStream(stream, algo ? [algo] : []);
        if (open && algo && actual[algo] !== open[algo]) {
          report.problems.push(
            `record ${rec.type} ${key}: open-checksum does not match its content`,
          );
        }
        if (rec.openSize !== undefined && actual.size !== rec.openSize) {
          report.problems.push(
            `record ${rec.type} ${key}: open-size ${rec.openSize}, content has ${actual.size}`,
          );
        }
      }
    },
  );
  const primary = repomd.records.find((r) => r.type === "primary");
  if (!primary) {
    report.problems.push(`${REPOMD} names no primary record`);
    ctx.incomplete = true;
    return;
  }
  // An altered primary cannot be trusted (nor, often, decompressed): its problem is reported.
  if (failed.has("primary")) {
    ctx.incomplete = true;
    return;
  }
  const key = primary.location.href;
  const tasks: (() => Promise<unknown>)[] = [];
  const packages = readPrimary(await storage.read(key), {
    key,
    decompress: (s) => decompress(s, "xz", { key, name: "primary.xml.xz", maxOutput: 8 * 2 ** 30 }),
  });
  for await (const pkg of packages) {
    report.checked.packages++;
    const expected = sums(pkg.checksumType, pkg.pkgid, pkg.size.package) ??
      { size: pkg.size.package };
    tasks.push(() => checkFile(ctx, pkg.location.href, expected, "package", options.deep ?? false));
  }
  await runPooled(tasks, options.concurrency ?? 4, (check) => check());
}
