/**
 * A published Packages index of 50,000 entries (apt-ftparchive's paragraphs from the shared
 * reference index, each under its own Filename, plus FileTime as mkrepo writes it) is read back
 * and rewritten byte for byte, from records that hold their paragraphs or only their places
 * (read again from the index); and the compact records kept for canonical paragraphs behave as
 * the records rebuilt from parsed fields. No timing is asserted.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IndexedDebPackage, packagesParagraph } from "../../src/index/deb/paragraphs.ts";
import { indexedPackage, packageFromParagraph } from "../../src/index/deb/paragraph_records.ts";
import { packagesIndex } from "../../src/index/deb/packages_index.ts";
import { readPublishedDeb } from "../../src/plan/published_deb.ts";
import { releaseText } from "../../src/index/deb/release_file.ts";
import { hashBytes } from "../../src/util/multi_hasher.ts";
import type { HashName } from "../../src/record/checksums.ts";
import { parseParagraph } from "../../src/record/deb822.ts";
import { createFsStorage } from "../../src/storage/fs_storage.ts";
import { publishedParagraphs } from "../../src/repo/published_paragraphs.ts";
import { REFERENCE } from "../_helpers/fixtures.ts";

const ALL: HashName[] = ["md5", "sha1", "sha256", "sha512"];

/** apt-ftparchive's paragraphs (each ending with "\n"), sorted by Package, Version, Architecture. */
async function referenceParagraphs(): Promise<string[]> {
  const text = await Deno.readTextFile(REFERENCE + "Packages");
  const field = (p: string, name: string) => p.match(new RegExp(`^${name}: (.*)$`, "m"))![1];
  const sortKey = (p: string) =>
    [field(p, "Package"), field(p, "Version"), field(p, "Architecture")].join("\0");
  return text.split("\n\n").filter((p) => p.trim() !== "").map((p) => p + "\n")
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}

/** FileTime of the i-th copy (whole and fractional seconds both occur in real indexes). */
const fileTimeOf = (i: number) => (i % 7 === 3 ? `${1704067200 + i}.5` : `${1704067200 + i}`);

Deno.test("a 50,000-entry Packages index is read back and rewritten byte for byte", async () => {
  const reference = await referenceParagraphs();
  const copies = Math.ceil(50_000 / reference.length);
  // In mkrepo's order (name, version, architecture, key), so a rewrite must give the same bytes.
  const expected: string[] = [];
  const pieces: string[] = [];
  for (const para of reference) {
    for (let c = 0; c < copies; c++) {
      const i = expected.length;
      const name = `pool/stable/main/${String(c).padStart(5, "0")}/${
        para.match(/^Filename: deb\/(.*)$/m)![1]
      }`;
      const rewritten = para.replace(/^Filename: .*$/m, `Filename: ${name}`);
      expected.push(rewritten);
      pieces.push(`${rewritten}FileTime: ${fileTimeOf(i)}\n\n`);
    }
  }
  const index = new TextEncoder().encode(pieces.join(""));
  const sums = hashBytes(index, ALL);

  const dir = await Deno.makeTempDir({ prefix: "mkrepo-index-scale-" });
  try {
    await Deno.mkdir(join(dir, "dists/stable/main/binary-amd64"), { recursive: true });
    await Deno.writeFile(join(dir, "dists/stable/main/binary-amd64/Packages"), index);
    const release = releaseText({
      origin: "o",
      label: "l",
      suite: "stable",
      codename: "stable",
      date: new Date(0),
      architectures: ["amd64"],
      components: ["main"],
      description: "d",
    }, [{ path: "main/binary-amd64/Packages", checksums: sums }]);
    await Deno.writeTextFile(join(dir, "dists/stable/Release"), release);
    const storage = createFsStorage(dir);
    const objects = new Map(
      (await Array.fromAsync(storage.list(""))).map((o) => [o.key, o]),
    );
    const published = await readPublishedDeb(storage, objects);
    assert.equal(published.records.size, expected.length);

    // Every record gives apt-ftparchive's paragraph (with its Filename) and its FileTime back.
    const records = [...published.records.values()].filter((r) => r instanceof IndexedDebPackage);
    assert.equal(records.length, expected.length, "every record kept as its paragraph");
    for (const [i, pkg] of records.entries()) {
      assert.equal(packagesParagraph(pkg, { hashes: ALL }), expected[i], pkg.key);
      assert.equal(pkg.mtime, Number(fileTimeOf(i)) * 1000, pkg.key);
    }
    // Rewriting the whole index gives the published bytes (it is recognised as unchanged).
    const files = await packagesIndex(
      "main/binary-amd64/Packages",
      records,
      ALL,
      (path) => (path.startsWith("main/binary-amd64/Packages") ? sums : undefined),
    );
    assert.ok(files.every((f) => f.reused));
    // ...and with one entry fewer, the rest is written out exactly, in the same order (its
    // digests are those of the expected text, so it is again recognised as published).
    const rest = new TextEncoder().encode(pieces.slice(1).join(""));
    const restSums = hashBytes(rest, ALL);
    const fewer = await packagesIndex(
      "main/binary-amd64/Packages",
      records.slice(1),
      ALL,
      (path) => (path.startsWith("main/binary-amd64/Packages") ? restSums : undefined),
    );
    assert.ok(fewer.every((f) => f.reused));

    // Held by place (no text), the records give the same bytes: read again from the index.
    const byPlace = await readPublishedDeb(storage, objects, undefined, { byPlace: true });
    const placed = [...byPlace.records.values()] as IndexedDebPackage[];
    assert.ok(placed.every((r) => r.place && r.paragraph === undefined));
    const paragraphs = publishedParagraphs(storage, objects);
    const placedFewer = await packagesIndex(
      "main/binary-amd64/Packages",
      placed.slice(1),
      ALL,
      undefined,
      paragraphs,
    );
    const plain = placedFewer.find((f) => f.key.endsWith("/Packages"))!;
    assert.deepEqual(plain.data, rest);
    // With fewer digests than published, each paragraph is written again without the others.
    const two: HashName[] = ["md5", "sha256"];
    const placedTwo = await packagesIndex(
      "main/binary-amd64/Packages",
      placed,
      two,
      undefined,
      paragraphs,
    );
    const withTwo = pieces.map((p) => p.replace(/^(SHA1|SHA512): .*\n/gm, "")).join("");
    assert.equal(
      new TextDecoder().decode(placedTwo.find((f) => f.key.endsWith("/Packages"))!.data),
      withTwo,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The record of a paragraph as the full parse rebuilds it (FileTime taken out). */
function parsed(text: string) {
  const fields = parseParagraph(text, { code: "malformed-index" });
  const i = fields.findIndex(([k]) => k.toLowerCase() === "filetime");
  const mtime = i < 0 ? -1 : Number(fields.splice(i, 1)[0][1]) * 1000;
  return { ...packageFromParagraph(fields), mtime };
}

Deno.test("indexedPackage() keeps a paragraph only when rewriting it gives the same text", async () => {
  const variants = (p: string): string[] => [
    p,
    p + "FileTime: 1704067200\n",
    p.replace(/^(MD5sum: )(.*)$/m, (_, a, b) => a + b.toUpperCase()),
    p.replace(/^Version: /m, "Version:  "),
    p.replace(/^Version: /m, "Version:\t"),
    p.replace(/^(Version: .*)$/m, "$1 "),
    p.replace(/^Size: /m, "Size: 0"),
    p.replace(/^Size: .*\n/m, ""),
    p.replace(/^SHA1: .*\n/m, ""),
    p.replace(/^Version: /m, "Status: install ok installed\nVersion: "),
    p.replace(/^Version: /m, "Optional: foo\nVersion: "),
    p.replace(/^(Version: .*\n)(Architecture: .*\n)/m, "$2$1"),
    p.replace(/^Architecture: (.*)\n/m, "").replace(/^Package: .*\n/m, "$&Architecture: all\n"),
    p.replace(/^Package: /m, "package: "),
    p.replace(/^Package: /m, "X-Extra: 1\nPackage: "),
    p + "X-Extra: 1\nX-Other: 2\n",
    p.replace(/^Version: /m, "FileTime: 1\nVersion: "),
    p.replace(/\n$/, " \n"),
  ];
  let kept = 0;
  for (const para of await referenceParagraphs()) {
    assert.ok(indexedPackage(para), "a canonical paragraph is kept");
    for (const text of variants(para)) {
      const indexed = indexedPackage(text);
      let full;
      try {
        full = parsed(text);
      } catch {
        assert.equal(indexed, undefined, "what the full parse refuses is never kept");
        continue;
      }
      if (!indexed) continue;
      kept++;
      const hashes = ALL.filter((h) => full.checksums[h] !== undefined);
      const text2 = packagesParagraph(indexed, { hashes });
      assert.equal(text2, packagesParagraph(full, { hashes }));
      assert.equal(text2, text.replace(/^FileTime: .*\n/m, ""));
      const { control: _c, ...rest } = full;
      assert.deepEqual({ ...rest }, {
        key: indexed.key,
        kind: indexed.kind,
        name: indexed.name,
        version: indexed.version,
        architecture: indexed.architecture,
        checksums: indexed.checksums,
        mtime: indexed.mtime,
      });
      assert.deepEqual(indexed.control, full.control);
      // Asked for other digests, it is formatted from its fields like any record.
      assert.equal(
        packagesParagraph(indexed, { hashes: ["md5", "sha256"] }),
        packagesParagraph(full, { hashes: ["md5", "sha256"] }),
      );
    }
  }
  assert.ok(kept >= 24, `canonical variants kept: ${kept}`);
});
