/**
 * Our Packages and Sources paragraphs against apt-ftparchive's, on the fixtures
 * (reference/Packages and reference/Sources were made with `apt-ftparchive packages deb` and
 * `apt-ftparchive sources deb`, so Filename is "deb/<name>" and Directory is "deb").
 */
import assert from "node:assert/strict";
import { packagesParagraph, sourcesParagraph } from "../../src/index/deb/paragraphs.ts";
import {
  packageFromParagraph,
  sourceFromParagraph,
} from "../../src/index/deb/paragraph_records.ts";
import { readDeb } from "../../src/reader/deb/read_deb.ts";
import { readDsc } from "../../src/reader/deb/read_dsc.ts";
import { hashStream } from "../../src/reader/hashing.ts";
import type { HashName } from "../../src/record/checksums.ts";
import { fieldValue } from "../../src/record/deb822.ts";
import { readParagraphs } from "../../src/record/deb822_stream.ts";
import type { DebPackage } from "../../src/record/deb_package.ts";
import { fixture, fixtureNames, REFERENCE } from "../_helpers/fixtures.ts";

const ALL: HashName[] = ["md5", "sha1", "sha256", "sha512"];

/** Reference paragraphs (each ending with "\n") by the value of `field`. */
async function referenceParagraphs(file: string, field: string): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(REFERENCE + file);
  const map = new Map<string, string>();
  for (const paragraph of text.split("\n\n")) {
    if (paragraph.trim() === "") continue;
    const value = paragraph.match(new RegExp(`^${field}: (.*)$`, "m"))?.[1];
    assert.ok(value, `no ${field} in a paragraph of ${file}`);
    map.set(value, paragraph + "\n");
  }
  return map;
}

async function readFixtureDeb(name: string): Promise<DebPackage> {
  const file = await Deno.open(fixture(`deb/${name}`));
  return readDeb(file.readable, { key: `deb/${name}`, hashes: ALL });
}

const debNames = fixtureNames("deb", (n) => /\.(deb|udeb|ddeb)$/.test(n));

Deno.test("packagesParagraph() writes exactly apt-ftparchive's paragraph for every fixture", async () => {
  const reference = await referenceParagraphs("Packages", "Filename");
  assert.deepEqual([...reference.keys()].sort(), debNames.map((n) => `deb/${n}`).sort());
  // All at once: also proves concurrent reads (xz decoder lock included) do not interfere.
  const packages = await Promise.all(debNames.map(readFixtureDeb));
  for (const pkg of packages) {
    assert.equal(packagesParagraph(pkg, { hashes: ALL }), reference.get(pkg.key), pkg.key);
  }
});

Deno.test("packagesParagraph() writes MD5sum and SHA256 only by default", async () => {
  const pkg = await readFixtureDeb("hello_2.10-3_amd64.deb");
  const text = packagesParagraph(pkg);
  assert.match(text, /\nSize: 53080\nMD5sum: d04c2e9639dee67aa836d8232b1ca658\nSHA256: 2e6e2f1a/);
  assert.doesNotMatch(text, /SHA1|SHA512/);
  const partial = await readDeb((await Deno.open(fixture("deb/hello_2.10-3_amd64.deb"))).readable, {
    key: "deb/hello_2.10-3_amd64.deb",
  });
  assert.equal(partial.checksums.sha1, undefined);
  assert.throws(() => packagesParagraph(partial, { hashes: ALL }), /no sha1 digest/);
});

Deno.test("packageFromParagraph() rebuilds the records of the reference Packages index", async () => {
  const packages = new Map(
    (await Promise.all(debNames.map(readFixtureDeb))).map((p) => [p.key, p]),
  );
  const reference = await referenceParagraphs("Packages", "Filename");
  const file = await Deno.open(REFERENCE + "Packages");
  let count = 0;
  for await (const fields of readParagraphs(file.readable, { key: "Packages" })) {
    const pkg = packageFromParagraph(fields, { key: "Packages" });
    const read = packages.get(pkg.key);
    assert.ok(read, pkg.key);
    assert.deepEqual(pkg, { ...read, mtime: 0, control: pkg.control });
    assert.deepEqual(new Map(pkg.control), new Map(read.control)); // same fields, apt's order
    assert.equal(packagesParagraph(pkg, { hashes: ALL }), reference.get(pkg.key));
    count++;
  }
  assert.equal(count, debNames.length);
});

/** The .dsc read with all digests; digests it does not declare are computed from the files. */
async function readFixtureDsc() {
  const file = await Deno.open(fixture("deb/hello_2.10-3.dsc"));
  const src = await readDsc(file.readable, { key: "deb/hello_2.10-3.dsc", hashes: ALL });
  for (const entry of src.files.slice(1)) {
    const missing = ALL.filter((hash) => entry.checksums[hash] === undefined);
    if (missing.length === 0) continue;
    const f = await Deno.open(fixture(`deb/${entry.name}`));
    const computed = await hashStream(f.readable, missing);
    assert.equal(computed.size, entry.checksums.size, entry.name);
    Object.assign(entry.checksums, computed);
  }
  return src;
}

Deno.test("sourcesParagraph() writes exactly apt-ftparchive's Sources paragraph", async () => {
  const reference = await referenceParagraphs("Sources", "Package");
  const src = await readFixtureDsc();
  assert.equal(sourcesParagraph(src, { directory: "deb", hashes: ALL }), reference.get("hello"));
  assert.equal(sourcesParagraph(src, { directory: "deb/", hashes: ALL }), reference.get("hello"));
});

Deno.test("sourceFromParagraph() rebuilds the record of the reference Sources index", async () => {
  const reference = await referenceParagraphs("Sources", "Package");
  const file = await Deno.open(REFERENCE + "Sources");
  const read = await readFixtureDsc();
  let count = 0;
  for await (const fields of readParagraphs(file.readable, { key: "Sources" })) {
    const src = sourceFromParagraph(fields, { key: "Sources" });
    assert.equal(src.key, "deb/hello_2.10-3.dsc");
    assert.equal(fieldValue(src.control, "Source"), "hello");
    assert.deepEqual(src.files, read.files);
    assert.equal(src.name, read.name);
    assert.equal(src.version, read.version);
    assert.equal(sourcesParagraph(src, { directory: "deb", hashes: ALL }), reference.get("hello"));
    count++;
  }
  assert.equal(count, 1);
});

Deno.test("packagesParagraph() rewrites the fields apt-ftparchive rewrites", () => {
  const pkg: DebPackage = {
    key: "pool/x_1_all.deb",
    kind: "deb",
    control: [
      ["X-Custom", "1"],
      ["package", "x"],
      ["Status", "install ok installed"],
      ["Optional", "y"],
      ["Suggests", "z"],
      ["Filename", "elsewhere.deb"],
      ["MD5sum", "00"],
      ["Version", "1"],
      ["Architecture", "all"],
      ["X-Other", "2"],
    ],
    name: "x",
    version: "1",
    architecture: "all",
    checksums: { size: 3, md5: "a".repeat(32), sha256: "b".repeat(64) },
    mtime: 0,
  };
  assert.equal(
    packagesParagraph(pkg),
    "Package: x\nArchitecture: all\nVersion: 1\nSuggests: z, y\nFilename: pool/x_1_all.deb\n" +
      `Size: 3\nMD5sum: ${"a".repeat(32)}\nSHA256: ${"b".repeat(64)}\nX-Custom: 1\nX-Other: 2\n`,
  );
  const injected = { ...pkg, control: [...pkg.control, ["Description", "x\n\nPackage: evil"]] };
  assert.throws(
    () => packagesParagraph(injected as DebPackage),
    /Cannot read package "pool\/x_1_all\.deb": control file: field Description has an empty line/,
  );
});

Deno.test("sourcesParagraph() drops Priority and Status and omits incomplete lists", () => {
  const md5 = "c".repeat(32);
  const text = sourcesParagraph({
    key: "x_1.dsc",
    control: [["Source", "x"], ["Priority", "optional"], ["Status", "s"], ["Version", "1"]],
    name: "x",
    version: "1",
    files: [
      { name: "x_1.dsc", checksums: { size: 1, md5, sha256: "d".repeat(64) } },
      { name: "x_1.tar.xz", checksums: { size: 2, md5 } },
    ],
    mtime: 0,
  }, { directory: "" });
  assert.equal(text, `Package: x\nVersion: 1\nFiles:\n ${md5} 1 x_1.dsc\n ${md5} 2 x_1.tar.xz\n`);
});
