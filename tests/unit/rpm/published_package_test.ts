/**
 * Compact published records (published_package.ts) against the full reader: the records they
 * give equal readRepodata()'s, and the files written from them equal the files written from
 * readRepodata()'s records, byte for byte — whichever fragments are written back verbatim —
 * for mkrepo's own repodata, createrepo_c's, tarantool/mkrepo's, and variants the writer would
 * spell differently.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { writeMetadataFile } from "../../../src/index/rpm/metadata_file.ts";
import {
  attachRepodata,
  type PublishedRpmPackage,
  readPublishedPrimary,
} from "../../../src/index/rpm/published_package.ts";
import { readRepodata } from "./full_repodata.ts";
import { readRpm } from "../../../src/reader/rpm/read_rpm.ts";
import { compareRpmPackages, type RpmPackage } from "../../../src/record/rpm_package.ts";
import { fixture, fixtureNames, REFERENCE } from "../../_helpers/fixtures.ts";

const TYPES = ["primary", "filelists", "other"] as const;
type Files = Partial<Record<(typeof TYPES)[number], string>>;
const enc = new TextEncoder();

const streamOf = (text: string) => ReadableStream.from([enc.encode(text)]);
const entry = (files: Files, type: keyof Files) =>
  files[type] === undefined ? undefined : { stream: streamOf(files[type]!), key: type };

async function published(files: Files): Promise<PublishedRpmPackage[]> {
  const pkgs = await readPublishedPrimary(streamOf(files.primary!), { key: "primary" });
  await attachRepodata(pkgs, {
    filelists: entry(files, "filelists"),
    other: entry(files, "other"),
  });
  return pkgs;
}

/** Asserts the compact path gives the full reader's records and files; returns verbatim counts. */
async function assertSameAsFullRead(files: Files, what: string): Promise<number[]> {
  const full = await readRepodata({
    primary: entry(files, "primary")!,
    filelists: entry(files, "filelists"),
    other: entry(files, "other"),
  });
  const pkgs = await published(files);
  const verbatim = TYPES.map((t) => pkgs.filter((p) => p.verbatim(t)).length);
  for (const type of TYPES) {
    const ours = await writeMetadataFile(type, pkgs);
    const theirs = await writeMetadataFile(type, full);
    assert.deepEqual(ours.data, theirs.data, `${what}: ${type}`);
  }
  assert.deepEqual(pkgs.map((p) => p.record()), full, what);
  return verbatim;
}

async function fixturePackages(): Promise<RpmPackage[]> {
  const out: RpmPackage[] = [];
  for (const name of fixtureNames("rpm", () => true)) {
    const file = await Deno.open(fixture(`rpm/${name}`));
    out.push(await readRpm(file.readable, { key: name, mtime: 1_795_546_126_000 }));
  }
  return out.sort(compareRpmPackages);
}

async function ownFiles(pkgs: RpmPackage[]): Promise<Files> {
  const out: Files = {};
  for (const type of TYPES) {
    out[type] = new TextDecoder().decode(gunzipSync((await writeMetadataFile(type, pkgs)).data));
  }
  return out;
}

Deno.test("published records of mkrepo's own repodata are written back verbatim, byte for byte", async () => {
  const pkgs = await fixturePackages();
  const verbatim = await assertSameAsFullRead(await ownFiles(pkgs), "own");
  assert.deepEqual(verbatim, TYPES.map(() => pkgs.length));
});

Deno.test("published records of createrepo_c's repodata are written back verbatim, byte for byte", async () => {
  const files: Files = {};
  for (const type of TYPES) {
    const bytes = await Deno.readFile(`${REFERENCE}rpm-repodata/${type}.xml.gz`);
    files[type] = new TextDecoder().decode(gunzipSync(bytes));
  }
  const verbatim = await assertSameAsFullRead(files, "createrepo_c");
  const n = (files.primary!.match(/<package /g) ?? []).length;
  assert.deepEqual(verbatim, TYPES.map(() => n));
});

/** Changes the writer would undo: each makes some fragment non-canonical. */
const VARIANTS: [string, string | RegExp, string][] = [
  ["empty epoch", 'epoch="0"', 'epoch=""'],
  ["unknown flags", ' flags="EQ"', ' flags="NE"'],
  ["character reference", "&lt;", "&#60;"],
  ["pre=true", ' pre="1"', ' pre="true"'],
  ["file type", "<file>", '<file type="file">'],
  ["text reference", "<summary>", "<summary>&#65;"],
  ["indentation", "  <name>", "<name>"],
  ["checksum padding", 'pkgid="YES">', 'pkgid="YES"> '],
  ["leading zero", 'package="', 'package="0'],
  ["empty xml:base", "<location href", '<location xml:base="" href'],
  ["carriage return", "</description>", "\r</description>"],
  ["tab in attribute", ' ver="', ' ver="\t'],
  ["non-ASCII attribute", 'name="', 'name="ö'],
  ["empty dependency list", "  </format>", "    <rpm:obsoletes/>\n  </format>"],
  ["pre outside requires", /(<rpm:provides>\n {6}<rpm:entry [^>]*?)\/>/, '$1 pre="1"/>'],
  [
    "trailing-slash directory",
    "<file>/usr/bin",
    '<file type="dir">/usr/bin/</file>\n    <file>/usr/bin',
  ],
  ["identity mismatch", /<package pkgid="([0-9a-f]+)" name="/, '<package pkgid="$1" name="x'],
  ["changelog date", 'date="', 'date="0'],
  ["filelists without a primary file", /\n {2}<file>\/usr\/bin[^\n]*/, ""],
  ["duplicate attribute", 'arch="', 'arch="i386" arch="'],
];

Deno.test("fragments the writer would write differently are parsed and rewritten, never copied", async () => {
  const files = await ownFiles(await fixturePackages());
  for (const [what, from, to] of VARIANTS) {
    for (const type of TYPES) {
      if (!files[type]!.match(from)) continue;
      const changed = { ...files, [type]: files[type]!.replace(from, to) };
      await assertSameAsFullRead(changed, `${what} in ${type}`);
    }
  }
});

Deno.test("published records of tarantool/mkrepo's repodata (no other.xml) equal the full read", async () => {
  const files = await ownFiles(await fixturePackages());
  delete files.other;
  const unescaped = files.primary!.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
  const verbatim = await assertSameAsFullRead({ ...files, primary: unescaped }, "tarantool");
  assert.equal(verbatim[2], 0);
});
