import assert from "node:assert/strict";
import { gunzipSync, gzipSync, zstdCompressSync } from "node:zlib";
import { MkrepoError } from "../../../src/errors.ts";
import { filelistsPackage } from "../../../src/index/rpm/filelists_xml.ts";
import { writeMetadataFile } from "../../../src/index/rpm/metadata_file.ts";
import { otherPackage } from "../../../src/index/rpm/other_xml.ts";
import {
  primaryFooter,
  primaryHeader,
  primaryPackage,
} from "../../../src/index/rpm/primary_xml.ts";
import { readPrimary } from "../../../src/index/rpm/read_metadata.ts";
import { readRepodata, type RepodataStreams } from "./full_repodata.ts";
import { readRpm } from "../../../src/reader/rpm/read_rpm.ts";
import { compareRpmPackages, rpmNevra, type RpmPackage } from "../../../src/record/rpm_package.ts";
import { fixture, fixtureNames, REFERENCE } from "../../_helpers/fixtures.ts";
import { samplePackage } from "./sample_package.ts";

const enc = new TextEncoder();

async function fixturePackages(
  filter = (n: string) => !n.endsWith(".src.rpm"),
): Promise<RpmPackage[]> {
  const out: RpmPackage[] = [];
  for (const name of fixtureNames("rpm", filter)) {
    const file = await Deno.open(fixture(`rpm/${name}`));
    // whole seconds, as repodata keeps them
    out.push(await readRpm(file.readable, { key: name, mtime: 1_795_546_126_000 }));
  }
  return out.sort(compareRpmPackages);
}

function streamOf(bytes: Uint8Array, chunk = bytes.length || 1): ReadableStream<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return ReadableStream.from(parts);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function writeAll(pkgs: RpmPackage[]): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const type of ["primary", "filelists", "other"] as const) {
    out[type] = (await writeMetadataFile(type, pkgs)).data;
  }
  return out;
}

function streams(files: Record<string, Uint8Array>): RepodataStreams {
  const s = (name: string) =>
    files[name] && { stream: streamOf(files[name]), key: `repodata/${name}.xml.gz` };
  return { primary: s("primary"), filelists: s("filelists"), other: s("other") };
}

Deno.test("readRepodata() round-trips our XML: same records, same bytes", async () => {
  const pkgs = await fixturePackages(() => true);
  const files = await writeAll(pkgs);
  const back = await readRepodata(streams(files));
  assert.deepEqual(back, pkgs);
  const again = await writeAll(back);
  assert.deepEqual(again, files);
});

Deno.test("readRepodata() takes over createrepo_c's repodata with the values read from the rpms", async () => {
  const open = async (name: string) => ({
    stream: (await Deno.open(`${REFERENCE}rpm-repodata/${name}.xml.gz`)).readable,
    key: `repodata/${name}.xml.gz`,
  });
  const taken = await readRepodata({
    primary: await open("primary"),
    filelists: await open("filelists"),
    other: await open("other"),
  });
  assert.deepEqual(taken, await fixturePackages());
});

/**
 * What primary.xml holds of a package, derived from the rpm reader's record (not from
 * readPrimary): the files createrepo_c lists in primary (under /etc/, containing "bin/", or
 * /usr/lib/sendmail — cr_is_primary), no changelog.
 */
function primaryPart(pkg: RpmPackage): RpmPackage {
  const primary = (path: string) =>
    path.startsWith("/etc/") || path.includes("bin/") || path === "/usr/lib/sendmail";
  return {
    ...pkg,
    format: { ...pkg.format, files: pkg.format.files.filter((f) => primary(f.path)) },
    changelogs: [],
  };
}

Deno.test("readPrimary() splits correctly whatever the chunk size", async () => {
  const pkgs = await fixturePackages();
  const expected = pkgs.map(primaryPart);
  // some packages have files outside primary, so the subset is a real check
  assert.ok(expected.some((p, i) => p.format.files.length < pkgs[i].format.files.length));
  const ours = enc.encode(
    primaryHeader(pkgs.length) + pkgs.map(primaryPackage).join("") + primaryFooter(),
  );
  // createrepo_c's primary.xml for the same rpms, as written by it
  const theirs = gunzipSync(Deno.readFileSync(`${REFERENCE}rpm-repodata/primary.xml.gz`));
  for (const [who, text] of [["ours", ours], ["createrepo_c's", theirs]] as const) {
    const plain = await collect(readPrimary(streamOf(text), { key: "p" }));
    assert.deepEqual(plain, expected, `${who}, plain`);
    for (const size of [1, 9, 10, 11, 4096]) {
      const got = await collect(readPrimary(streamOf(gzipSync(text), size), { key: "p" }));
      assert.deepEqual(got, expected, `${who}, gzip in chunks of ${size}`);
    }
    const zst = await collect(readPrimary(streamOf(zstdCompressSync(text), 7), { key: "p" }));
    assert.deepEqual(zst, expected, `${who}, zstd`);
  }
});

Deno.test("readRepodata() keeps two arches of one NEVR and two copies of one file apart", async () => {
  const a = samplePackage({
    arch: "x86_64",
    pkgid: "11".repeat(32),
    location: { href: "Packages/a.x86_64.rpm" },
  });
  const b = samplePackage({
    arch: "i686",
    pkgid: "22".repeat(32),
    location: { href: "Packages/a.i686.rpm" },
  });
  const c = samplePackage({
    arch: "i686",
    pkgid: "22".repeat(32),
    location: { href: "Packages/copy/a.i686.rpm" },
  });
  b.format = { ...b.format, files: [{ path: "/usr/bin/b", type: "file" }] };
  c.changelogs = [{ author: "c", date: 1, text: "copy" }];
  for (const p of [a, b, c]) p.key = p.location.href;
  const back = await readRepodata(streams(await writeAll([a, b, c])));
  assert.deepEqual(back.map(rpmNevra), [rpmNevra(a), rpmNevra(b), rpmNevra(c)]);
  assert.notEqual(rpmNevra(a), rpmNevra(b));
  assert.deepEqual(back, [a, b, c].map((p) => ({ ...p, mtime: p.time.file * 1000 })));
});

Deno.test("readRepodata() reads what tarantool/mkrepo wrote (no other.xml, unescaped, DIRNAMES as dirs)", async () => {
  const primary = `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm">
  <name>tarantool</name>
  <arch>x86_64</arch>
  <version epoch="0" ver="2.10.0"/>
  <checksum type="sha256" pkgid="YES">${"ef".repeat(32)}</checksum>
  <summary>In-memory &amp; more</summary>
  <description>A &lt;fast&gt; database</description>
  <packager>Dev &lt;dev@tarantool.org&gt;</packager>
  <url>https://tarantool.io/?a=1&b=2</url>
  <time file="1600000000" build="1500000000"/>
  <size package="10" installed="20" archive="30"/>
  <location href="Packages/tarantool-2.10.0.x86_64.rpm"/>
  <format>
    <rpm:license>BSD</rpm:license>
    <rpm:group>Databases</rpm:group>
    <rpm:buildhost>build</rpm:buildhost>
    <rpm:sourcerpm>tarantool-2.10.0.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="1" end="2"/>
    <rpm:provides>
      <rpm:entry name="tarantool" flags="EQ" epoch="0" ver="2.10.0"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="(a < 2 if b)"/>
      <rpm:entry name="/bin/sh" pre="1"/>
    </rpm:requires>
    <rpm:obsoletes>
    </rpm:obsoletes>
    <file>/usr/bin/tarantool</file>
    <file type="dir">/usr/bin/</file>
  </format>
</package>
</metadata>
`;
  const filelists = `<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="1">
<package pkgid="${"ef".repeat(32)}" name="tarantool" arch="x86_64">
  <version epoch="0" ver="2.10.0"/>
  <file>/usr/bin/tarantool</file>
  <file>/usr/share/doc/tarantool/README</file>
  <file type="dir">/usr/bin/</file>
  <file type="dir">/usr/share/doc/tarantool/</file>
</package>
</filelists>
`;
  const [pkg] = await readRepodata({
    primary: { stream: streamOf(gzipSync(enc.encode(primary))), key: "repodata/p.xml.gz" },
    filelists: { stream: streamOf(gzipSync(enc.encode(filelists))), key: "repodata/f.xml.gz" },
  });
  assert.equal(pkg.key, "Packages/tarantool-2.10.0.x86_64.rpm");
  assert.equal(pkg.release, "");
  assert.equal(pkg.format.vendor, "");
  assert.equal(pkg.url, "https://tarantool.io/?a=1&b=2");
  assert.equal(pkg.description, "A <fast> database");
  assert.deepEqual(pkg.format.requires, [{ name: "(a < 2 if b)" }, { name: "/bin/sh", pre: true }]);
  assert.deepEqual(pkg.format.obsoletes, []);
  assert.deepEqual(pkg.format.files, [
    { path: "/usr/bin/tarantool", type: "file" },
    { path: "/usr/share/doc/tarantool/README", type: "file" },
  ]);
  assert.deepEqual(pkg.changelogs, []);
});

Deno.test("readPrimary() rejects truncated, mislabelled and oversized input, naming the key", async () => {
  const pkgs = [samplePackage()];
  const full = primaryHeader(1) + primaryPackage(pkgs[0]) + primaryFooter();
  const isIndexError = (pattern: RegExp) => (e: unknown) =>
    e instanceof MkrepoError && e.code === "malformed-index" && e.key === "repodata/p.xml.gz" &&
    pattern.test(e.reason);
  const read = (text: string | Uint8Array, options = {}) =>
    collect(readPrimary(streamOf(typeof text === "string" ? enc.encode(text) : text), {
      key: "repodata/p.xml.gz",
      ...options,
    }));
  await assert.rejects(
    read(full.slice(0, full.length - 5)),
    isIndexError(/ends before <\/metadata>/),
  );
  await assert.rejects(read(full.slice(0, 600)), isIndexError(/ends inside a <package>/));
  await assert.rejects(
    read(gzipSync(enc.encode(full)).subarray(0, 100)),
    isIndexError(/decompress/),
  );
  await assert.rejects(
    read(full.replace(/metadata/g, "filelists")),
    isIndexError(/not a primary.xml file/),
  );
  await assert.rejects(read(full, { maxFragment: 500 }), isIndexError(/larger than 500/));
});

Deno.test("readPrimary() needs a decompressor for xz and uses the one given", async () => {
  const text = enc.encode(primaryHeader(0) + primaryFooter());
  const fakeXz = new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, ...text]);
  await assert.rejects(
    collect(readPrimary(streamOf(fakeXz), { key: "p.xml.xz" })),
    (e) => e instanceof MkrepoError && e.key === "p.xml.xz" && /xz-compressed/.test(e.reason),
  );
  const got = await collect(readPrimary(streamOf(fakeXz), {
    key: "p.xml.xz",
    decompress: (s, format) => {
      assert.equal(format, "xz");
      return s.pipeThrough(
        new TransformStream({
          transform: (chunk, c) => c.enqueue(chunk.subarray(6)),
        }),
      );
    },
  }));
  assert.deepEqual(got, []);
});

Deno.test("otherPackage() and filelistsPackage() agree with what readRepodata() merges", async () => {
  const pkg = samplePackage();
  const files = await writeAll([pkg]);
  const [back] = await readRepodata(streams(files));
  assert.equal(otherPackage(back), otherPackage(pkg));
  assert.equal(filelistsPackage(back), filelistsPackage(pkg));
});
