/**
 * What the checks of `mkrepo verify` share, for both formats: options, the report, the context
 * of one verification, the file check against expected checksums, and a bounded runner.
 * @module
 */
import { type ObjectInfo, readSource, type Storage } from "../storage/storage.ts";
import type { RepoKind } from "../plan/layout.ts";
import { hashStream } from "../reader/hashing.ts";
import { type Checksums, HASH_NAMES } from "../record/checksums.ts";

/** Options of verifyRepository(). */
export interface VerifyOptions {
  /** Read every package and compare its digests (default: sizes only). */
  deep?: boolean;
  /** Armored public key(s) the signatures must verify with; without it signatures are not checked. */
  publicKey?: string;
  /** Package files checked at once (`--concurrency`; default 4). */
  concurrency?: number;
}

/** Index files (and their by-hash copies) checked at once: a fixed number, not `--concurrency`. */
export const INDEX_CHECKS_IN_FLIGHT = 8;

/** What verify found. */
export interface VerifyReport {
  path: string;
  kind?: RepoKind;
  ok: boolean;
  problems: string[];
  /**
   * Files under dists/, repodata/, pool/ or Packages/ that no entry point or index names and
   * that mkrepo-cleanup.json does not list as pending: the next run records them and deletes
   * them after the grace period. Reported, not a problem (clients never see them).
   */
  unreferenced: string[];
  checked: { indexFiles: number; packages: number; signatures: number };
}

/** Shared state of one verification. */
export interface VerifyContext {
  storage: Storage;
  byKey: ReadonlyMap<string, ObjectInfo>;
  options: VerifyOptions;
  report: VerifyReport;
  /** Receives every key an entry point or index names (entry points included). */
  named: Set<string>;
  /** Set when an index could not be read: `named` is then incomplete. */
  incomplete?: boolean;
}

/** Checks that `key` exists with `expected` size and (when reading) digests; records problems. */
export async function checkFile(
  ctx: VerifyContext,
  key: string,
  expected: Checksums,
  what: string,
  read: boolean,
): Promise<boolean> {
  ctx.named.add(key);
  const obj = ctx.byKey.get(key);
  if (!obj) {
    ctx.report.problems.push(`${what} ${key} is missing`);
    return false;
  }
  if (obj.size !== expected.size) {
    ctx.report.problems.push(`${what} ${key} has ${obj.size} bytes, expected ${expected.size}`);
    return false;
  }
  if (!read) return true;
  const algorithms = HASH_NAMES.filter((h) => expected[h] !== undefined);
  const actual = await hashStream(
    await readSource(ctx.storage, key, { size: obj.size }),
    algorithms,
  );
  for (const h of algorithms) {
    if (actual[h] !== expected[h]?.toLowerCase()) {
      ctx.report.problems.push(`${what} ${key} has ${h} ${actual[h]}, expected ${expected[h]}`);
      return false;
    }
  }
  return true;
}
