import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { MkrepoError } from "../../../src/errors.ts";
import { readDsc } from "../../../src/reader/deb/read_dsc.ts";
import { stripClearSign } from "../../../src/record/clear_signed.ts";
import { fixture } from "../../_helpers/fixtures.ts";
import { streamOf } from "./_make_deb.ts";

const encoder = new TextEncoder();

const DSC = `Format: 3.0 (native)
Source: demo
Binary: demo
Architecture: any
Version: 1.0
Package-List:
 demo deb misc optional arch=any
Checksums-Sha256:
 ${"a".repeat(64)} 10 demo_1.0.tar.xz
Files:
 ${"b".repeat(32)} 10 demo_1.0.tar.xz
`;

function signed(body: string): string {
  const escaped = body.split("\n").map((l) => (l.startsWith("-") ? "- " + l : l)).join("\n");
  return `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${escaped}\n` +
    "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n=kNoz\n-----END PGP SIGNATURE-----\n";
}

Deno.test("readDsc() reads the fixture .dsc, the .dsc itself first", async () => {
  const key = "pool/main/h/hello/hello_2.10-3.dsc";
  const bytes = await Deno.readFile(fixture("deb/hello_2.10-3.dsc"));
  const src = await readDsc(streamOf(bytes, 100), { key, mtime: 7, etag: "x" });
  assert.equal(src.key, key);
  assert.equal(src.name, "hello");
  assert.equal(src.version, "2.10-3");
  assert.equal(src.mtime, 7);
  assert.equal(src.etag, "x");
  assert.deepEqual(src.files.map((f) => f.name), [
    "hello_2.10-3.dsc",
    "hello_2.10.orig.tar.gz",
    "hello_2.10.orig.tar.gz.asc",
    "hello_2.10-3.debian.tar.xz",
  ]);
  assert.deepEqual(src.files[0].checksums, {
    size: bytes.length,
    md5: createHash("md5").update(bytes).digest("hex"),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  });
  assert.deepEqual(src.files[3].checksums, {
    size: 12684,
    md5: "27ab798c1d8d9048ffc8127e9b8dbfca",
    sha1: "a2d122fd090dbab3d40b219a237fbb7d74f8023a",
    sha256: "60ee7a466808301fbaa7fea2490b5e7a6d86f598956fb3e79c71b3295dc1f249",
  });
  assert.deepEqual(src.control.map(([name]) => name), [
    "Format",
    "Source",
    "Binary",
    "Architecture",
    "Version",
    "Maintainer",
    "Homepage",
    "Standards-Version",
    "Vcs-Browser",
    "Vcs-Git",
    "Testsuite",
    "Build-Depends",
    "Package-List",
  ]);
  assert.deepEqual(src.control.at(-1), ["Package-List", "\n hello deb devel optional arch=any"]);
});

Deno.test("readDsc() reads unsigned and dash-escaped signed .dsc files alike", async () => {
  const withDash = DSC.replace("Binary: demo\n", "Binary: demo\nDescription: x\n -- y\n");
  const plain = await readDsc(streamOf(encoder.encode(withDash)), { key: "d.dsc" });
  const sig = await readDsc(streamOf(encoder.encode(signed(withDash))), { key: "d.dsc" });
  assert.deepEqual(sig.control, plain.control);
  assert.deepEqual(sig.files.slice(1), plain.files.slice(1));
  assert.deepEqual(plain.files[1].checksums, {
    size: 10,
    md5: "b".repeat(32),
    sha256: "a".repeat(64),
  });
  assert.ok(plain.control.some(([n, v]) => n === "Description" && v === "x\n -- y"));
});

Deno.test("stripClearSign() removes the armour and undoes dash-escaping", () => {
  assert.equal(stripClearSign("A: b\n"), "A: b\n");
  assert.equal(stripClearSign(signed("A: b\n-x: y")), "A: b\n-x: y\n");
});

Deno.test("readDsc() rejects malformed .dsc files", async () => {
  const cases: [string, RegExp][] = [
    ["", /empty \.dsc/],
    [DSC.replace("Source: demo\n", ""), /no Source field/],
    [DSC.replace(/Checksums-Sha256:\n.*\nFiles:\n.*\n/, ""), /lists no files/],
    [
      DSC.replace("10 demo_1.0.tar.xz\nFiles", "10 ../../etc/passwd\nFiles"),
      /outside its directory/,
    ],
    [DSC.replace("b".repeat(32), "b".repeat(31)), /Files has an invalid line/],
    [DSC.replace(" 10 demo_1.0.tar.xz\n", " 11 demo_1.0.tar.xz\n"), /size of/],
    [DSC + "\nSource: second\n", /empty line .* inside the paragraph/],
    [signed(DSC).replace(/-----BEGIN PGP SIGNATURE-----[^]*/, ""), /no signature block/],
    [signed(DSC).replace("-----END PGP SIGNATURE-----", ""), /no end line/],
    [signed(DSC) + "Injected: field\n", /text after the end of the signature/],
    [DSC.replace("Version: 1.0", "Version: 1.0\r"), /carriage return/],
  ];
  for (const [text, pattern] of cases) {
    await assert.rejects(
      readDsc(streamOf(encoder.encode(text)), { key: "bad.dsc" }),
      (e: unknown) =>
        e instanceof MkrepoError && e.key === "bad.dsc" && e.code === "malformed-package" &&
        pattern.test(e.message),
      String(pattern),
    );
  }
  await assert.rejects(
    readDsc(streamOf(encoder.encode(DSC)), { key: "big.dsc", maxSize: 100 }),
    /larger than 100 bytes/,
  );
  await assert.rejects(
    readDsc(streamOf(new Uint8Array([0x41, 0x3a, 0x20, 0xff, 0x0a])), { key: "u.dsc" }),
    /not valid UTF-8/,
  );
});
