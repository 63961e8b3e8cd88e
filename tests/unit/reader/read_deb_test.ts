import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { MkrepoError } from "../../../src/errors.ts";
import { readDeb } from "../../../src/reader/deb/read_deb.ts";
import { decompress } from "../../../src/util/decompress.ts";
import { fixture, fixtureNames } from "../../_helpers/fixtures.ts";
import {
  arArchive,
  arHeader,
  concat,
  CONTROL,
  makeDeb,
  streamOf,
  tarArchive,
  tarHeader,
} from "./_make_deb.ts";

const encoder = new TextEncoder();

function rejects(key: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof MkrepoError, `not a MkrepoError: ${e}`);
    assert.equal(e.code, "malformed-package");
    assert.equal(e.key, key);
    assert.match(e.message, pattern);
    return true;
  };
}

async function openFixture(rel: string): Promise<ReadableStream<Uint8Array>> {
  const file = await Deno.open(fixture(rel));
  return file.readable;
}

Deno.test("readDeb() rejects every file in fixtures/bad/*.deb with a clear error", async () => {
  const expected: Record<string, RegExp> = {
    "no-control-tar_netbase_6.4_all.deb": /no control\.tar member/,
    "truncated-1000-hello_2.10-3_amd64.deb": /at byte 1000: file ends inside control\.tar\.xz/,
    "unknown.deb": /control\.tar\.unknown: unknown compression/,
    "y.deb": /empty file/,
  };
  const names = fixtureNames("bad", (n) => n.endsWith(".deb"));
  assert.deepEqual(names, Object.keys(expected).sort());
  for (const name of names) {
    const key = `bad/${name}`;
    await assert.rejects(readDeb(await openFixture(key), { key }), rejects(key, expected[name]));
  }
});

Deno.test("readDeb() reads a deb with control.tar.gz, .zst and plain control.tar", async () => {
  for (const compression of ["gzip", "zstd", "none"] as const) {
    const bytes = makeDeb({ compression });
    const pkg = await readDeb(streamOf(bytes, 7), { key: "pool/demo.deb", mtime: 5, etag: "e" });
    assert.equal(pkg.name, "demo");
    assert.equal(pkg.version, "1.0-1");
    assert.equal(pkg.architecture, "amd64");
    assert.equal(pkg.kind, "deb");
    assert.equal(pkg.mtime, 5);
    assert.equal(pkg.etag, "e");
    assert.deepEqual(pkg.control[4], ["Description", "demo package\n a demo"]);
    assert.deepEqual(pkg.checksums, {
      size: bytes.length,
      md5: createHash("md5").update(bytes).digest("hex"),
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
});

Deno.test("readDeb() hashes the whole file with the requested digests", async () => {
  const bytes = makeDeb({ data: new Uint8Array(100_001).fill(9) });
  const pkg = await readDeb(streamOf(bytes, 4096), {
    key: "x.udeb",
    hashes: ["sha1", "sha512"],
  });
  assert.equal(pkg.kind, "udeb");
  assert.deepEqual(pkg.checksums, {
    size: bytes.length,
    sha1: createHash("sha1").update(bytes).digest("hex"),
    sha512: createHash("sha512").update(bytes).digest("hex"),
  });
});

Deno.test("readDeb() rejects a deb without control.tar", async () => {
  const bytes = arArchive([["debian-binary", "2.0\n"], ["data.tar.xz", "x"]]);
  await assert.rejects(
    readDeb(streamOf(bytes), { key: "k.deb" }),
    rejects("k.deb", /no control\.tar member/),
  );
  const noData = arArchive([["debian-binary", "2.0\n"], [
    "control.tar.gz",
    gzipSync(tarArchive([["./control", CONTROL]])),
  ]]);
  await assert.rejects(
    readDeb(streamOf(noData), { key: "k.deb" }),
    rejects("k.deb", /no data\.tar member/),
  );
});

Deno.test("readDeb() rejects misordered, unknown and duplicate members", async () => {
  const tar = gzipSync(tarArchive([["./control", CONTROL]]));
  const cases: [[string, Uint8Array | string][], RegExp][] = [
    [[["control.tar.gz", tar], ["debian-binary", "2.0\n"]], /first member is control\.tar\.gz/],
    [[["debian-binary", "3.0\n"]], /unsupported package format "3\.0"/],
    [[["debian-binary", "2.0\n"], ["control.tar.gz", tar], ["control.tar.gz", tar]], /unexpected/],
    [[["debian-binary", "2.0\n"], ["extra", "x"]], /unexpected member "extra"/],
    [[["debian-binary", "2.0\n"], ["control.tar.bz2", "x"]], /unknown compression/],
    [[["debian-binary", "2.0\n"], ["control.tar.gz", tar], ["data.tar.rar", "x"]], /unknown/],
    [[["debian-binary", "2.0\n"], ["debian-binary", "2.0\n"]], /not the first member/],
  ];
  for (const [members, pattern] of cases) {
    await assert.rejects(
      readDeb(streamOf(arArchive(members)), { key: "m.deb" }),
      rejects("m.deb", pattern),
    );
  }
});

Deno.test("readDeb() ignores members starting with _ and members after data.tar", async () => {
  const tar = gzipSync(tarArchive([["./control", CONTROL]]));
  const bytes = arArchive([
    ["debian-binary", "2.0\n"],
    ["_extra", "xyz"],
    ["control.tar.gz", tar],
    ["data.tar.gz", "1"],
    ["trailer", "t"],
  ]);
  const pkg = await readDeb(streamOf(bytes, 3), { key: "k.deb" });
  assert.equal(pkg.checksums.size, bytes.length);
});

Deno.test("readDeb() rejects a broken control.tar", async () => {
  const good = tarArchive([["./control", CONTROL]]);
  const badSum = concat([tarHeader("./control", 3, { badChecksum: true }), new Uint8Array(1536)]);
  const cases: [Uint8Array, "gzip" | "zstd" | "none", RegExp][] = [
    [badSum, "none", /control\.tar: invalid tar archive \(Invalid tar header checksum\)/],
    [good.subarray(0, 1024), "none", /control\.tar: invalid tar archive \(.*truncated/],
    [tarArchive([["./md5sums", "x"]]), "gzip", /control\.tar\.gz: no control file/],
    [tarArchive([["./control", CONTROL], ["control", CONTROL]]), "gzip", /more than one control/],
    [tarArchive([["./control", "Package: a\n\nVersion: 1\n"]]), "zstd", /empty line 2 inside/],
    [tarArchive([["./control", "Package: a\nVersion: 1\n"]]), "gzip", /no Architecture field/],
    [tarArchive([["./control", new Uint8Array([0xff, 0xfe])]]), "gzip", /not valid UTF-8/],
  ];
  for (const [controlTar, compression, pattern] of cases) {
    const tarBytes = compression === "none" ? controlTar : undefined;
    const bytes = makeDeb({ compression, controlTar: tarBytes ?? controlTar });
    await assert.rejects(readDeb(streamOf(bytes), { key: "c.deb" }), rejects("c.deb", pattern));
  }
});

Deno.test("readDeb() reads a control.tar past what it decodes at once as a stream, with the same errors", async () => {
  // 1.5 MiB of md5sums first: more than readDeb decodes into one buffer (1 MiB).
  const filler: [string, Uint8Array] = ["./md5sums", new Uint8Array(1536 * 1024).fill(0x61)];
  const ok = tarArchive([filler, ["./control", CONTROL]]);
  for (const compression of ["gzip", "zstd", "none"] as const) {
    const pkg = await readDeb(streamOf(makeDeb({ compression, controlTar: ok })), { key: "l.deb" });
    assert.equal(pkg.name, "demo");
    assert.equal(pkg.version, "1.0-1");
  }
  const cases: [Uint8Array, RegExp][] = [
    [tarArchive([filler]), /control\.tar\.gz: no control file/],
    [tarArchive([filler, ["./control", CONTROL], ["control", CONTROL]]), /more than one control/],
    [tarArchive([filler, ["./control", new Uint8Array([0xff, 0xfe])]]), /not valid UTF-8/],
    [ok.subarray(0, 1024 * 1024 + 1536), /control\.tar\.gz: invalid tar archive \(.*truncated/],
  ];
  for (const [controlTar, pattern] of cases) {
    const bytes = makeDeb({ compression: "gzip", controlTar });
    await assert.rejects(readDeb(streamOf(bytes), { key: "l.deb" }), rejects("l.deb", pattern));
  }
});

Deno.test("readDeb() rejects corrupt compressed control data and keeps working after", async () => {
  const original = await Deno.readFile(fixture("deb/hello_2.10-3_amd64.deb"));
  const corrupt = original.slice();
  corrupt[132 + 200] ^= 0xff; // inside control.tar.xz (data starts at byte 132)
  await assert.rejects(
    readDeb(streamOf(corrupt), { key: "h.deb" }),
    rejects("h.deb", /control\.tar\.xz: corrupt xz data/),
  );
  const gz = makeDeb({ compression: "gzip" });
  const member = 8 + 60 + 4 + 60;
  gz[member + 30] ^= 0xff;
  await assert.rejects(readDeb(streamOf(gz), { key: "g.deb" }), rejects("g.deb", /control\.tar/));
  // The xz decoder's module-wide lock must have been released: a good package still reads.
  const pkg = await readDeb(streamOf(original), { key: "ok.deb" });
  assert.equal(pkg.name, "hello");
});

Deno.test("readDeb() caps the decompressed control.tar and the control file", async () => {
  const big = tarArchive([["./control", CONTROL], ["./md5sums", new Uint8Array(3 << 20)]]);
  await assert.rejects(
    readDeb(streamOf(makeDeb({ controlTar: big })), { key: "b.deb", maxControlTarOutput: 1 << 20 }),
    rejects("b.deb", /control\.tar\.gz: decompresses to more than 1048576 bytes/),
  );
  await assert.rejects(
    readDeb(streamOf(makeDeb()), { key: "b.deb", maxControlSize: 10 }),
    rejects("b.deb", /larger than the 10-byte limit/),
  );
  await assert.rejects(
    readDeb(streamOf(makeDeb()), { key: "b.deb", maxControlTarSize: 10 }),
    rejects("b.deb", /control\.tar\.gz of \d+ bytes is larger than the 10-byte limit/),
  );
});

Deno.test("readDeb() rejects hostile ar sizes", async () => {
  const magic = encoder.encode("!<arch>\n");
  const cases: [Uint8Array, RegExp][] = [
    [concat([magic, arHeader("debian-binary", "-4")]), /invalid size "-4"/],
    [concat([magic, arHeader("debian-binary", "9999999999")]), /debian-binary of 9999999999/],
    [concat([magic, arHeader("debian-binary", "4"), encoder.encode("2.")]), /file ends inside/],
    [concat([magic, arHeader("debian-binary", "0x10")]), /invalid size/],
    [makeDeb().subarray(0, -2), /file ends inside ar member "data\.tar\.xz"/],
  ];
  for (const [bytes, pattern] of cases) {
    await assert.rejects(readDeb(streamOf(bytes), { key: "h.deb" }), rejects("h.deb", pattern));
  }
});

Deno.test("readDeb() cancels the stream when it fails early", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      // A bad debian-binary, and a stream that never ends: readDeb must stop and cancel it.
      c.enqueue(concat([encoder.encode("!<arch>\n"), arHeader("debian-binary", 4)]));
      c.enqueue(encoder.encode("9.9\n"));
    },
    cancel() {
      cancelled = true;
    },
  });
  await assert.rejects(readDeb(stream, { key: "c.deb" }), /unsupported package format "9\.9"/);
  assert.ok(cancelled);
});

Deno.test("readDeb() reads a 300 MB package with bounded memory", async () => {
  // In a child process, so that other test modules running in parallel do not skew its rss.
  const child = new URL("./_big_deb.ts", import.meta.url);
  const config = new URL("../../../deno.json", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--config", config.pathname, child.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  const result = JSON.parse(decoder.decode(stdout));
  assert.equal(result.size, 300 * 1024 * 1024 + 1 + result.head + 1);
  assert.equal(result.sha256, result.expected);
  assert.ok(result.rssGrowth < 100 * 1024 * 1024, `rss grew by ${result.rssGrowth} bytes`);
  assert.ok(result.heapGrowth < 32 * 1024 * 1024, `heap grew by ${result.heapGrowth} bytes`);
});

Deno.test("readDeb() reads a real control.tar recompressed with gzip (small decoder chunks)", async () => {
  // The fuzzer's case: apticron's control.tar (20 KiB, control third) as control.tar.gz hung
  // once the decoder gave chunks smaller than a tar block.
  const data = await Deno.readFile(fixture("deb/apticron_1.2.5+nmu1_all.deb"));
  const text = new TextDecoder("latin1").decode(data.subarray(0, 200));
  const at = text.indexOf("control.tar.xz");
  const size = Number(text.slice(at + 48, at + 58).trim());
  const tar = new Uint8Array(
    await new Response(
      decompress(ReadableStream.from([data.subarray(at + 60, at + 60 + size)]), "xz", {
        key: "k",
        name: "control.tar.xz",
        maxOutput: 1 << 26,
      }),
    ).arrayBuffer(),
  );
  const deb = makeDeb({ controlTar: tar, compression: "gzip" });
  const pkg = await readDeb(streamOf(deb, 4096), { key: "apticron.deb" });
  assert.equal(pkg.name, "apticron");
});
