/**
 * Memory of a whole run (peak RSS of the real CLI, measured by GNU time) stays bounded against
 * crafted packages, whatever `--concurrency` is:
 * - an rpm header whose arrays of a million values all point at one shared block of data
 *   (4 copies at the default concurrency): rejected as rpm rejects overlapping entries;
 * - 32 control.tar bombs (gzip and zstd, 200 MiB of tar from a few KiB) at `--concurrency 32`.
 * The runs are measured, never timed.
 */
import assert from "node:assert/strict";
import { constants, gzipSync, zstdCompressSync } from "node:zlib";
import { fixture } from "../_helpers/fixtures.ts";
import { withBackend } from "../_helpers/repo_backend.ts";
import { cliCommand } from "../_helpers/run_cli.ts";
import { spawnText } from "../_helpers/spawn.ts";
import { verifyRepository } from "../../src/repo/verify.ts";
import { arArchive, concat, tarArchive, tarHeader } from "../unit/reader/_make_deb.ts";
import { encodeLead, headerBlob, type HeaderEntry } from "../unit/rpm/rpm_builder.ts";
import { Tag, TagType } from "../../src/reader/rpm/tags.ts";

/** The limit the issue sets for a whole run. */
const MAX_RSS = 256 * 1024 * 1024;

/** Runs `mkrepo --json ARGS` under GNU time; its exit code, JSON summary and peak RSS. */
async function measured(args: string[]) {
  const r = await spawnText("/usr/bin/time", ["-v", ...cliCommand(["--json", ...args])], {
    env: { ...Deno.env.toObject(), NO_COLOR: "1" },
  });
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  assert.ok(kb, `no RSS figure from /usr/bin/time: ${r.stderr}`);
  let summary;
  try {
    summary = JSON.parse(r.stdout).repos?.[0];
  } catch {
    summary = undefined;
  }
  const code = /Exit status: (\d+)/.exec(r.stderr)?.[1];
  console.log(`mkrepo ${args.slice(0, -1).join(" ")}: peak RSS ${MiB(Number(kb[1]) * 1024)}`);
  return { ...r, code: code ? Number(code) : r.code, rss: Number(kb[1]) * 1024, summary };
}

const MiB = (n: number) => `${(n / 1048576).toFixed(0)} MiB`;

/**
 * An rpm whose header has valid NAME/VERSION/RELEASE/ARCH and then, for the file list and
 * every dependency kind, arrays of `count` values that all start at one shared block of zeros
 * (empty strings, zero integers): 4 MiB of data that a naive reader expands to tens of millions
 * of values.
 */
export function amplifiedRpm(count = 0xfffff): Uint8Array {
  const text = new TextEncoder();
  const strings: [number, string][] = [
    [Tag.NAME, "amplified"],
    [Tag.VERSION, "1"],
    [Tag.RELEASE, "1"],
    [Tag.ARCH, "x86_64"],
  ];
  const head: number[] = [];
  const entries: HeaderEntry[] = [];
  for (const [tag, value] of strings) {
    entries.push([tag, TagType.STRING, head.length, 1]);
    head.push(...text.encode(value), 0);
  }
  while (head.length % 8) head.push(0);
  const shared = head.length;
  const arrays: [number, number][] = [
    [Tag.BASENAMES, TagType.STRING_ARRAY],
    [Tag.DIRNAMES, TagType.STRING_ARRAY],
    [Tag.DIRINDEXES, TagType.INT32],
    [Tag.FILEFLAGS, TagType.INT32],
    [Tag.FILEMODES, TagType.INT16],
  ];
  for (const kind of ["PROVIDE", "CONFLICT", "OBSOLETE", "SUGGEST", "ENHANCE", "RECOMMEND"]) {
    const t = Tag as unknown as Record<string, number>;
    arrays.push(
      [t[`${kind}NAME`], TagType.STRING_ARRAY],
      [t[`${kind}FLAGS`], TagType.INT32],
      [t[`${kind}VERSION`], TagType.STRING_ARRAY],
    );
  }
  for (const [tag, type] of arrays) entries.push([tag, type, shared, count]);
  const data = new Uint8Array(shared + count * 4);
  data.set(head);
  const header = headerBlob(entries, data);
  // signature header: one SIZE entry (the header's length), padded to 8 bytes
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, header.length);
  const sig = concat([headerBlob([[1000, TagType.INT32, 0, 1]], size), new Uint8Array(4)]);
  return concat([encodeLead("amplified"), sig, header]);
}

Deno.test("an rpm header of arrays sharing one data block is rejected, the run stays under 256 MiB", async () => {
  await withBackend("fs", async (repo) => {
    await repo.put("Packages/tour-4-6.noarch.rpm", fixture("rpm/tour-4-6.noarch.rpm"));
    const rpm = amplifiedRpm();
    const keys = [1, 2, 3, 4].map((i) => `Packages/amplified-${i}.rpm`);
    for (const key of keys) await repo.storage.write(key, rpm);

    const failed = await measured([repo.path]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /^error: Cannot read package ".*amplified-\d\.rpm"/m);
    assert.ok(failed.rss <= MAX_RSS, `peak RSS ${MiB(failed.rss)} without --force`);

    const forced = await measured(["--force", repo.path]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual([...forced.summary.malformed].sort(), keys);
    assert.equal(forced.summary.packages, 1);
    assert.ok(forced.rss <= MAX_RSS, `peak RSS ${MiB(forced.rss)} with --force`);
    const report = await verifyRepository(repo.storage, repo.path, { deep: true });
    assert.deepEqual(report.problems, []);
  });
});

/** A .deb whose control.tar holds `padSize` zero bytes before its control file. */
function controlTarBomb(compression: "gzip" | "zstd", padSize: number): Uint8Array {
  const zeros = new Uint8Array(padSize);
  const tar = concat([
    tarHeader("./pad", padSize),
    zeros,
    tarArchive([[
      "./control",
      "Package: bomb\nVersion: 1.0\nArchitecture: amd64\nMaintainer: x <x@example.org>\n" +
      "Description: bomb\n a bomb\n",
    ]]),
  ]);
  const [name, bytes] = compression === "gzip" ? ["control.tar.gz", gzipSync(tar, { level: 9 })] : [
    "control.tar.zst",
    zstdCompressSync(tar, { params: { [constants.ZSTD_c_compressionLevel]: 19 } }),
  ];
  return arArchive([
    ["debian-binary", "2.0\n"],
    [name, new Uint8Array(bytes)],
    ["data.tar.xz", new Uint8Array([1, 2, 3])],
  ]);
}

for (const compression of ["gzip", "zstd"] as const) {
  Deno.test(`32 control.tar.${compression} bombs at --concurrency 32 stay under 256 MiB`, async () => {
    await withBackend("fs", async (repo) => {
      const bomb = controlTarBomb(compression, 200 * 1024 * 1024);
      assert.ok(bomb.length < 256 * 1024, `a bomb of ${bomb.length} bytes`);
      for (let i = 0; i < 32; i++) await repo.storage.write(`pool/main/b/bomb${i}.deb`, bomb);
      const r = await measured(["--concurrency", "32", repo.path]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.packages, 32);
      assert.ok(r.rss <= MAX_RSS, `peak RSS ${MiB(r.rss)}`);
    });
  });
}
