import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import { parseEvr, rpmvercmp } from "../../../src/record/rpm_evr.ts";
import { readRpm } from "../../../src/reader/rpm/read_rpm.ts";
import { Tag } from "../../../src/reader/rpm/tags.ts";
import type { RpmPackage } from "../../../src/record/rpm_package.ts";
import { buildRpm, t, type TagList } from "./rpm_builder.ts";

/** Minimal binary package tags plus (overriding) extras. */
function tags(extra: TagList = []): TagList {
  const base: TagList = [
    [Tag.NAME, t.s("crafted")],
    [Tag.VERSION, t.s("1.0")],
    [Tag.RELEASE, t.s("1")],
    [Tag.SUMMARY, t.i18n("sum")],
    [Tag.ARCH, t.s("x86_64")],
    [Tag.SOURCERPM, t.s("crafted-1.0-1.src.rpm")],
  ];
  const map = new Map<number, TagList[number][1]>();
  for (const [tag, data] of [...base, ...extra]) map.set(tag, data);
  return [...map];
}

function read(list: TagList, signature: TagList = []): Promise<RpmPackage> {
  const bytes = buildRpm({ header: list, signature });
  return readRpm(ReadableStream.from([bytes]), { key: "Packages/crafted.rpm", mtime: 0 });
}

function requires(names: string[], flags: number[], versions: string[]): TagList {
  return [
    [Tag.REQUIRENAME, t.sa(names)],
    [Tag.REQUIREFLAGS, t.i32(flags)],
    [Tag.REQUIREVERSION, t.sa(versions)],
  ];
}

Deno.test("parseEvr() splits as cr_str_to_evr, flagging non-numeric epochs", () => {
  assert.deepEqual(parseEvr(""), {});
  assert.deepEqual(parseEvr("1.0"), { epoch: "0", ver: "1.0" });
  assert.deepEqual(parseEvr("2:1.0-3.el8"), { epoch: "2", ver: "1.0", rel: "3.el8" });
  assert.deepEqual(parseEvr("007:1-"), { epoch: "007", ver: "1" });
  assert.deepEqual(parseEvr(":5"), { epoch: "0", ver: "5" });
  assert.deepEqual(parseEvr("+3:1"), { epoch: "+3", ver: "1" });
  assert.equal(parseEvr("abc:1.0").epoch, undefined);
  assert.deepEqual(parseEvr("1-2-3"), { epoch: "0", ver: "1", rel: "2-3" });
});

Deno.test("rpmvercmp() orders versions as rpm does", () => {
  const cases: [string, string, number][] = [
    ["1.0", "1.0", 0],
    ["1.0", "2.0", -1],
    ["2.0.1", "2.0", 1],
    ["1.0010", "1.9", 1],
    ["1.05", "1.5", 0],
    ["1.0a", "1.0", 1],
    ["a", "1", -1],
    ["1.0~rc1", "1.0", -1],
    ["1.0^git1", "1.0", 1],
    ["1.0^git1", "1.0.1", -1],
    ["2.10", "2.9", 1],
    ["1_0", "1.0", 0],
  ];
  for (const [a, b, r] of cases) assert.equal(rpmvercmp(a, b), r, `${a} vs ${b}`);
});

Deno.test("headerToPackage() applies createrepo_c's Requires rules", async () => {
  const pkg = await read(tags([
    [Tag.PROVIDENAME, t.sa(["prov"])],
    [Tag.PROVIDEFLAGS, t.i32([8])],
    [Tag.PROVIDEVERSION, t.sa(["2.0-1"])],
    ...requires(
      [
        "rpmlib(X)",
        "prov",
        "prov",
        "dup",
        "dup",
        "dup",
        "/usr/bin/own",
        "/usr/share/own",
        "sh",
        "trans",
        "libc.so.6(GLIBC_2.9)",
        "libc.so.6(GLIBC_2.10)",
        "libc.so.6()(64bit)",
        "bad",
      ],
      [16777226, 8, 12, 0, 0, 512, 0, 0, 64 | 2048, 128, 512, 0, 0, 8],
      ["3.0-1", "2.0-1", "2.0-1", "", "", "", "", "", "", "", "", "", "", "x:1"],
    ),
    [Tag.DIRNAMES, t.sa(["/usr/bin/", "/usr/share/"])],
    [Tag.BASENAMES, t.sa(["own", "own"])],
    [Tag.DIRINDEXES, t.i32([0, 1])],
    [Tag.FILEFLAGS, t.i32([0, 0])],
    [Tag.FILEMODES, t.i16([0o100755, 0o100644])],
  ]));
  assert.deepEqual(pkg.format.requires, [
    { name: "prov", flags: "GE", epoch: "0", ver: "2.0", rel: "1" },
    { name: "dup" },
    { name: "dup", pre: true },
    { name: "/usr/share/own" },
    { name: "sh", pre: true },
    { name: "trans" },
    { name: "libc.so.6(GLIBC_2.10)" },
  ]);
});

Deno.test("headerToPackage() maps legacy weak dependencies as createrepo_c", async () => {
  const pkg = await read(tags([
    ...requires(["hint"], [1 << 19], [""]),
    [Tag.OLDSUGGESTSNAME, t.sa(["sug", "sugstrong"])],
    [Tag.OLDSUGGESTSFLAGS, t.i32([0, 1 << 27])],
    [Tag.OLDSUGGESTSVERSION, t.sa(["", ""])],
    [Tag.OLDENHANCESNAME, t.sa(["enh", "enhstrong"])],
    [Tag.OLDENHANCESFLAGS, t.i32([0, (1 << 27) | 12])],
    [Tag.OLDENHANCESVERSION, t.sa(["", "4"])],
    [Tag.RECOMMENDNAME, t.sa(["rec"])],
    [Tag.RECOMMENDFLAGS, t.i32([0])],
    [Tag.RECOMMENDVERSION, t.sa([""])],
  ]));
  assert.deepEqual(pkg.format.requires, []);
  assert.deepEqual(pkg.format.recommends.map((d) => d.name), ["hint", "rec", "sugstrong"]);
  assert.deepEqual(pkg.format.suggests, [{ name: "sug" }]);
  assert.deepEqual(pkg.format.enhances, [{ name: "enh" }]);
  assert.deepEqual(pkg.format.supplements, [
    { name: "enhstrong", flags: "GE", epoch: "0", ver: "4" },
  ]);
});

Deno.test("headerToPackage() keeps the 10 newest changelogs, oldest first, bumping equal times", async () => {
  const times = [1000, 1000, 1000, 900, 800, 800, 700, 600, 500, 400, 300, 200];
  const names = ["A <a@x> - 1   ", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
  const pkg = await read(tags([
    [Tag.CHANGELOGTIME, t.i32(times)],
    [Tag.CHANGELOGNAME, t.sa(names)],
    [Tag.CHANGELOGTEXT, t.sa(names.map((n) => `- ${n[0]}`))],
  ]));
  assert.deepEqual(
    pkg.changelogs.map((c) => `${c.author}@${c.date}`),
    [
      "J@400",
      "I@500",
      "H@600",
      "G@700",
      "F@800",
      "E@801",
      "D@900",
      "C@1000",
      "B@1001",
      "A <a@x> - 1@1002",
    ],
  );
});

Deno.test("headerToPackage() reads non-UTF-8 text as Latin-1 and drops C1 bytes", async () => {
  const latin1 = new Uint8Array([0x43, 0x61, 0x66, 0xe9, 0x20, 0x85, 0x78]);
  const pkg = await read(tags([[Tag.SUMMARY, t.i18n(latin1)], [Tag.VENDOR, t.s("Jöhn")]]));
  assert.equal(pkg.summary, "Café x");
  assert.equal(pkg.format.vendor, "Jöhn");
});

Deno.test("headerToPackage() rejects control characters, as createrepo_c refuses such packages", async () => {
  await assert.rejects(
    read(tags([[Tag.DESCRIPTION, t.i18n("bell\x07")]])),
    (e) =>
      e instanceof MkrepoError && e.key === "Packages/crafted.rpm" && /description/.test(e.reason),
  );
});

Deno.test("headerToPackage() detects source rpms without SOURCERPM by their file list", async () => {
  const list = tags([
    [Tag.DIRNAMES, t.sa([""])],
    [Tag.BASENAMES, t.sa(["a.spec", "a.tar.gz"])],
    [Tag.DIRINDEXES, t.i32([0, 0])],
    [Tag.FILEFLAGS, t.i32([32, 0])],
    [Tag.FILEMODES, t.i16([0o100644, 0o100644])],
  ]).filter(([tag]) => tag !== Tag.SOURCERPM);
  const pkg = await read(list);
  assert.equal(pkg.arch, "src");
  assert.deepEqual(pkg.format.files.map((f) => f.path), ["a.spec", "a.tar.gz"]);
  const flagged = await read([...tags(), [Tag.SOURCEPACKAGE, t.i32([1])]]);
  assert.equal(flagged.arch, "src");
});

Deno.test("headerToPackage() reads files from OLDFILENAMES, with dir and ghost types", async () => {
  const pkg = await read(tags([
    [Tag.OLDFILENAMES, t.sa(["/etc/a", "/var/log/b", "/usr/share/c"])],
    [Tag.FILEFLAGS, t.i32([1, 64, 0])],
    [Tag.FILEMODES, t.i16([0o100644, 0o100644, 0o40755])],
  ]));
  assert.deepEqual(pkg.format.files, [
    { path: "/etc/a", type: "file" },
    { path: "/var/log/b", type: "ghost" },
    { path: "/usr/share/c", type: "dir" },
  ]);
});

Deno.test("headerToPackage() takes sizes from 64-bit tags and the signature header", async () => {
  const pkg = await read(
    tags([[Tag.LONGSIZE, t.i64([5_000_000_000])], [Tag.SIZE, t.i32([1])], [
      Tag.EPOCH,
      t.i32([4294967295]),
    ]]),
    [[1007, t.i32([77])]],
  );
  assert.deepEqual(pkg.size.installed, 5_000_000_000);
  assert.equal(pkg.size.archive, 77);
  assert.equal(pkg.epoch, "4294967295");
  const long = await read(tags(), [[1007, t.i32([77])], [271, t.i64([6_000_000_000])]]);
  assert.equal(long.size.archive, 6_000_000_000);
});

Deno.test("headerToPackage() rejects a file naming a directory index out of range", async () => {
  await assert.rejects(
    read(tags([
      [Tag.DIRNAMES, t.sa(["/usr/"])],
      [Tag.BASENAMES, t.sa(["a"])],
      [Tag.DIRINDEXES, t.i32([5])],
      [Tag.FILEFLAGS, t.i32([0])],
      [Tag.FILEMODES, t.i16([0o100644])],
    ])),
    (e) =>
      e instanceof MkrepoError && e.code === "malformed-package" && /directory 5/.test(e.reason),
  );
});
