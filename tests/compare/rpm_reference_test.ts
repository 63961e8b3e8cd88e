/**
 * Parity with createrepo_c: our primary, filelists and other equal createrepo_c's element for
 * element and attribute for attribute, in the same package order, after normalising only
 * `time file`. References: tests/fixtures/reference/rpm-repodata{,-with-src}, and
 * createrepo_c 0.17 run here on crafted packages.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { MkrepoError } from "../../src/errors.ts";
import {
  metadataRecord,
  type MetadataType,
  writeMetadataFile,
} from "../../src/index/rpm/metadata_file.ts";
import { readRepomd } from "../../src/index/rpm/repomd_xml.ts";
import { readRpm } from "../../src/reader/rpm/read_rpm.ts";
import { Tag } from "../../src/reader/rpm/tags.ts";
import { compareRpmPackages, type RpmPackage } from "../../src/record/rpm_package.ts";
import { fixture, fixtureNames, REFERENCE } from "../_helpers/fixtures.ts";
import { assertSameMetadata, canonical, firstDifference } from "../_helpers/repodata_compare.ts";
import { buildRpm, t, type TagList } from "../unit/rpm/rpm_builder.ts";

const TYPES: MetadataType[] = ["primary", "filelists", "other"];
/** The `time file` createrepo_c wrote into the fixture references. */
const REFERENCE_MTIME = 1_795_546_126_000;

async function readFolder(dir: string, names: string[], mtime: (name: string) => number) {
  const pkgs: RpmPackage[] = [];
  for (const name of names) {
    const file = await Deno.open(`${dir}/${name}`);
    pkgs.push(await readRpm(file.readable, { key: name, mtime: mtime(name) }));
  }
  return pkgs.sort(compareRpmPackages);
}

async function ourMetadata(pkgs: RpmPackage[]) {
  const out = {} as Record<
    MetadataType,
    { text: string; record: ReturnType<typeof metadataRecord> }
  >;
  for (const type of TYPES) {
    const file = await writeMetadataFile(type, pkgs);
    out[type] = {
      text: new TextDecoder().decode(gunzipSync(file.data)),
      record: metadataRecord(file, 0),
    };
  }
  return out;
}

async function compareWithReference(folder: string, names: string[]) {
  const pkgs = await readFolder(fixture("rpm"), names, () => REFERENCE_MTIME);
  const ours = await ourMetadata(pkgs);
  const repomd = readRepomd(Deno.readTextFileSync(`${REFERENCE}${folder}/repomd.xml`));
  for (const type of TYPES) {
    const theirs = new TextDecoder().decode(
      gunzipSync(Deno.readFileSync(`${REFERENCE}${folder}/${type}.xml.gz`)),
    );
    assertSameMetadata(type, ours[type].text, theirs);
    // same time file, same order: the uncompressed files are byte-identical
    const ref = repomd.records.find((r) => r.type === type)!;
    assert.deepEqual(ours[type].record.openChecksum, ref.openChecksum, `${type} open-checksum`);
    assert.equal(ours[type].record.openSize, ref.openSize, `${type} open-size`);
  }
}

Deno.test("primary/filelists/other equal createrepo_c's for the binary rpms", async () => {
  await compareWithReference("rpm-repodata", fixtureNames("rpm", (n) => !n.endsWith(".src.rpm")));
});

Deno.test("primary/filelists/other equal createrepo_c's with the source rpm included", async () => {
  await compareWithReference("rpm-repodata-with-src", fixtureNames("rpm"));
});

Deno.test("the comparer reports the first differing element", () => {
  const a = `<metadata><package><name>x</name><version epoch="0" ver="1"/></package></metadata>`;
  const b = `<metadata><package><name>x</name><version ver="1" epoch="0"/></package></metadata>`;
  assert.match(
    firstDifference(canonical(a), canonical(b))!,
    /\/metadata\[0\]\/package\[0\]\/version\[1\]: attributes/,
  );
  const c = a.replace("<name>x</name>", "<name>y</name>");
  assert.match(
    firstDifference(canonical(a), canonical(c))!,
    /name\[0\]\/#text\[0\]: text "x" vs "y"/,
  );
  const two =
    `<metadata><package><name>x</name></package><package><name>y</name></package></metadata>`;
  assert.match(
    firstDifference(canonical(two), canonical(two.replace(/x(.*)y/, "y$1x")))!,
    /package\[0\]\/name\[0\]\/#text\[0\]: text "x" vs "y"/,
    "package order counts",
  );
  const d = `<metadata><package><time file="1" build="2"/></package></metadata>`;
  assert.equal(
    firstDifference(canonical(d), canonical(d.replace('file="1"', 'file="9"'))),
    undefined,
  );
});

// ---------------------------------------------------------------------------------------------
// Crafted packages vs createrepo_c run here

const latin1 = new Uint8Array([0x43, 0x61, 0x66, 0xe9, 0x20, 0x85, 0x20, 0x78]);

function base(name: string, extra: TagList = []): TagList {
  const map = new Map<number, TagList[number][1]>();
  const all: TagList = [
    [Tag.NAME, t.s(name)],
    [Tag.VERSION, t.s("1.0")],
    [Tag.RELEASE, t.s("1")],
    [Tag.SUMMARY, t.i18n("sum")],
    [Tag.DESCRIPTION, t.i18n("desc")],
    [Tag.BUILDTIME, t.i32([1_700_000_000])],
    [Tag.BUILDHOST, t.s("host")],
    [Tag.SIZE, t.i32([10])],
    [Tag.LICENSE, t.s("MIT")],
    [Tag.GROUP, t.i18n("Unspecified")],
    [Tag.ARCH, t.s("x86_64")],
    [Tag.SOURCERPM, t.s(`${name}-1.0-1.src.rpm`)],
    ...extra,
  ];
  for (const [tag, data] of all) map.set(tag, data);
  return [...map];
}

/** Packages exercising escaping, Latin-1, legacy weak deps, Requires filters, changelogs, sources. */
function craftedPackages(): Record<string, TagList> {
  return {
    text: base("text", [
      [Tag.SUMMARY, t.i18n(latin1)],
      [Tag.DESCRIPTION, t.i18n("a & b < c > d \r\n e \"q\" 'a' é 😀 end")],
      [Tag.URL, t.s("http://x/?a=1&b=2")],
      [Tag.PACKAGER, t.s("Jöhn <j@x>")],
      [Tag.VENDOR, t.s(latin1)],
      [Tag.PROVIDENAME, t.sa(['p"q&<>', "tab\there", "nl\nhere", "é😀", "cr\rhere", "", "prov"])],
      [Tag.PROVIDEFLAGS, t.i32([0, 0, 0, 8, 0, 0, 8])],
      [Tag.PROVIDEVERSION, t.sa(["", "", "", "1:é-ü", "", "", "2.0-1"])],
      [
        Tag.REQUIRENAME,
        t.sa([
          "prov",
          "prov",
          "dup",
          "dup",
          "dup",
          "dup",
          "weird",
          "badepoch",
          "plusepoch",
          "zeroepoch",
          "colon",
          "lib",
          "/usr/bin/own",
          "/usr/share/own",
          "missingok",
          "libc.so.6(GLIBC_2.10)",
          "libc.so.6(GLIBC_2.9)",
          "libc.so.6()(64bit)",
          "rpmlib(X)",
        ]),
      ],
      [
        Tag.REQUIREFLAGS,
        t.i32([8, 12, 0, 0, 512, 1024 | 8, 6, 8, 8, 8, 8, 64 | 2048, 0, 0, 1 << 19, 0, 512, 0, 0]),
      ],
      [
        Tag.REQUIREVERSION,
        t.sa([
          "2.0-1",
          "2.0-1",
          "",
          "",
          "",
          "3",
          "1.0",
          "abc:1.0",
          "+3:1.0",
          "007:1-",
          ":5",
          "",
          "",
          "",
          "",
          "",
          "",
          "",
          "",
        ]),
      ],
      [Tag.OLDSUGGESTSNAME, t.sa(["oldsug", "oldsugstrong"])],
      [Tag.OLDSUGGESTSFLAGS, t.i32([0, 1 << 27])],
      [Tag.OLDSUGGESTSVERSION, t.sa(["", ""])],
      [Tag.OLDENHANCESNAME, t.sa(["oldenh", "oldenhstrong"])],
      [Tag.OLDENHANCESFLAGS, t.i32([0, (1 << 27) | 12])],
      [Tag.OLDENHANCESVERSION, t.sa(["", "4"])],
      [Tag.RECOMMENDNAME, t.sa(["rec"])],
      [Tag.RECOMMENDFLAGS, t.i32([0])],
      [Tag.RECOMMENDVERSION, t.sa([""])],
      [Tag.DIRNAMES, t.sa(["/usr/bin/", "/usr/share/", "/etc/"])],
      [Tag.BASENAMES, t.sa(["own", "own", "conf", "dirx", latin1.subarray(0, 4)])],
      [Tag.DIRINDEXES, t.i32([0, 1, 2, 1, 1])],
      [Tag.FILEFLAGS, t.i32([0, 64, 1, 0, 0])],
      [Tag.FILEMODES, t.i16([0o100755, 0o100644, 0o100644, 0o40755, 0o100644])],
      [Tag.CHANGELOGTIME, t.i32([1000, 1000, 1000, 900, 800, 800, 700, 600, 500, 400, 300, 200])],
      [
        Tag.CHANGELOGNAME,
        t.sa([
          "A <a@x> - 1   ",
          'B "b" & c',
          "C\tt",
          "D é",
          latin1,
          "F",
          "G",
          "H",
          "I",
          "J",
          "K",
          "L",
        ]),
      ],
      [
        Tag.CHANGELOGTEXT,
        t.sa(["- one\r\n- two & <three>", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]),
      ],
    ]),
    srcheur: base("srcheur", [
      [Tag.DIRNAMES, t.sa([""])],
      [Tag.BASENAMES, t.sa(["a.spec", "a.tar.gz"])],
      [Tag.DIRINDEXES, t.i32([0, 0])],
      [Tag.FILEFLAGS, t.i32([32, 0])],
      [Tag.FILEMODES, t.i16([0o100644, 0o100644])],
    ]).filter(([tag]) => tag !== Tag.SOURCERPM),
    sizes: base("sizes", [[Tag.EPOCH, t.i32([4294967295])], [
      Tag.LONGSIZE,
      t.i64([5_000_000_000]),
    ]]),
  };
}

async function runCreaterepo(dir: string): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("createrepo_c", {
      args: ["--no-database", "--simple-md-filenames", dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new Error("createrepo_c is needed by this test: apt-get install createrepo-c", {
      cause: err,
    });
  }
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test("crafted edge cases equal what createrepo_c writes for them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-rpm-compare-" });
  try {
    const names: string[] = [];
    for (const [name, tags] of Object.entries(craftedPackages())) {
      names.push(`${name}-1.0-1.x86_64.rpm`);
      await Deno.writeFile(
        `${dir}/${names.at(-1)}`,
        buildRpm({ header: tags, signature: [[1007, t.i32([77])]] }),
      );
    }
    await runCreaterepo(dir);
    const mtimes = new Map<string, number>();
    for (const n of names) mtimes.set(n, (await Deno.stat(`${dir}/${n}`)).mtime!.getTime());
    const ours = await ourMetadata(await readFolder(dir, names, (n) => mtimes.get(n)!));
    for (const type of TYPES) {
      const theirs = new TextDecoder().decode(
        gunzipSync(await Deno.readFile(`${dir}/repodata/${type}.xml.gz`)),
      );
      assertSameMetadata(type, ours[type].text, theirs);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a package createrepo_c refuses for control characters is malformed for us too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-rpm-compare-" });
  try {
    const bytes = buildRpm({ header: base("control", [[Tag.DESCRIPTION, t.i18n("bell\x07")]]) });
    await Deno.writeFile(`${dir}/control-1.0-1.x86_64.rpm`, bytes);
    await runCreaterepo(dir);
    const primary = new TextDecoder().decode(
      gunzipSync(await Deno.readFile(`${dir}/repodata/primary.xml.gz`)),
    );
    assert.match(primary, /packages="0"/);
    await assert.rejects(
      readRpm(ReadableStream.from([bytes]), { key: "Packages/control.rpm", mtime: 0 }),
      (e) => e instanceof MkrepoError && e.key === "Packages/control.rpm",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
