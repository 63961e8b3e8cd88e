import assert from "node:assert/strict";
import { concatBytes } from "../../../src/util/bytes.ts";
import { MkrepoError } from "../../../src/errors.ts";
import { readRpm } from "../../../src/reader/rpm/read_rpm.ts";
import { rpmNevra } from "../../../src/record/rpm_package.ts";
import { fixture, fixtureNames, FIXTURES } from "../../_helpers/fixtures.ts";
import { encodeLead } from "./rpm_builder.ts";

/** sha256 and size of every fixture, from MANIFEST.tsv. */
function manifest(): Map<string, { sha256: string; size: number }> {
  const out = new Map<string, { sha256: string; size: number }>();
  for (const line of Deno.readTextFileSync(FIXTURES + "MANIFEST.tsv").split("\n").slice(1)) {
    const [path, sha256, size] = line.split("\t");
    if (path) out.set(path, { sha256, size: Number(size) });
  }
  return out;
}

async function readFixture(rel: string, key = rel) {
  const file = await Deno.open(fixture(rel));
  return await readRpm(file.readable, { key, mtime: 1_700_000_000_500 });
}

/** A stream that serves `prefix`, then zeros forever, counting what was pulled. */
function endless(prefix: Uint8Array): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  let sent = false;
  const zeros = new Uint8Array(64 * 1024);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = sent ? zeros : prefix;
      sent = true;
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

function intro(il: number, dl: number): Uint8Array {
  const out = new Uint8Array(16);
  out.set([0x8e, 0xad, 0xe8, 0x01]);
  const v = new DataView(out.buffer);
  v.setUint32(8, il);
  v.setUint32(12, dl);
  return out;
}

Deno.test("readRpm() hashes the whole file: pkgid and size match the manifest", async () => {
  const sums = manifest();
  for (const name of fixtureNames("rpm")) {
    const pkg = await readFixture(`rpm/${name}`);
    const expected = sums.get(`rpm/${name}`)!;
    assert.equal(pkg.pkgid, expected.sha256, name);
    assert.equal(pkg.size.package, expected.size, name);
    assert.equal(pkg.checksumType, "sha256");
  }
});

Deno.test("readRpm() fills key, mtime, time.file and location from the source", async () => {
  const file = await Deno.open(fixture("rpm/tour-4-6.noarch.rpm"));
  const pkg = await readRpm(file.readable, {
    key: "Packages/t/tour-4-6.noarch.rpm",
    mtime: 1_700_000_000_999,
    etag: '"abc"',
  });
  assert.equal(pkg.key, "Packages/t/tour-4-6.noarch.rpm");
  assert.equal(pkg.location.href, "Packages/t/tour-4-6.noarch.rpm");
  assert.equal(pkg.mtime, 1_700_000_000_999);
  assert.equal(pkg.time.file, 1_700_000_000);
  assert.equal(pkg.etag, '"abc"');
  assert.equal(rpmNevra(pkg), "tour-0:4-6.noarch");
});

Deno.test("readRpm() reads epoch, source arch and sizes as createrepo_c", async () => {
  const archer = await readFixture("rpm/Archer-3.4.5-6.x86_64.rpm");
  assert.equal(archer.epoch, "2");
  assert.deepEqual(archer.format.headerRange, { start: 4504, end: 7517 });
  assert.deepEqual(archer.size, { package: 7737, installed: 0, archive: 544 });
  const src = await readFixture("rpm/hello-1.0-1.src.rpm");
  assert.equal(src.arch, "src");
  assert.equal(src.format.sourcerpm, "");
  const crypto = await readFixture("rpm/crypto-policies-20230614-2.git5f3458e.oe2403.noarch.rpm");
  assert.equal(crypto.size.archive, 0, "no payload size tag in either header");
});

Deno.test("readRpm() rejects every bad fixture with a MkrepoError naming the key", async () => {
  for (const name of fixtureNames("bad", (n) => n.endsWith(".rpm"))) {
    const key = `Packages/${name}`;
    await assert.rejects(
      readFixture(`bad/${name}`, key),
      (e) =>
        e instanceof MkrepoError && e.code === "malformed-package" && e.key === key &&
        e.message.includes(`"${key}"`),
      name,
    );
  }
});

Deno.test("readRpm() rejects a header claiming 4 billion index entries without reading on", async () => {
  const source = endless(concatBytes([encodeLead("hostile"), intro(0xffffffff, 16)]));
  await assert.rejects(
    readRpm(source.stream, { key: "Packages/hostile.rpm", mtime: 0 }),
    (e) =>
      e instanceof MkrepoError && e.key === "Packages/hostile.rpm" &&
      /index entries/.test(e.reason),
  );
  assert.ok(source.pulled() <= 64 * 1024 + 112, `pulled ${source.pulled()} bytes`);
});

Deno.test("readRpm() rejects a main header claiming more than 256 MiB of data up front", async () => {
  const entry = new Uint8Array(16);
  const v = new DataView(entry.buffer);
  v.setUint32(0, 1000); // RPMSIGTAG_SIZE, INT32, offset 0, one value
  v.setUint32(4, 4);
  v.setUint32(12, 1);
  const sig = concatBytes([intro(1, 16), entry, new Uint8Array(16)]);
  const source = endless(concatBytes([encodeLead("hostile"), sig, intro(1, 0x10000000)]));
  await assert.rejects(
    readRpm(source.stream, { key: "big.rpm", mtime: 0 }),
    (e) => e instanceof MkrepoError && e.key === "big.rpm" && /bytes of data/.test(e.reason),
  );
  assert.ok(source.pulled() <= 64 * 1024 + 200, `pulled ${source.pulled()} bytes`);
});

Deno.test("readRpm() rejects a signature header with more entries than rpm allows", async () => {
  const source = endless(concatBytes([encodeLead("hostile"), intro(33, 16)]));
  await assert.rejects(
    readRpm(source.stream, { key: "sig.rpm", mtime: 0 }),
    (e) => e instanceof MkrepoError && /signature header claims 33 index entries/.test(e.reason),
  );
});

Deno.test("readRpm() passes stream errors through unchanged", async () => {
  const boom = new Error("connection reset");
  const bytes = await Deno.readFile(fixture("rpm/tour-4-5.noarch.rpm"));
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) controller.error(boom);
      else controller.enqueue(bytes.subarray(0, 2000));
      sent = true;
    },
  });
  await assert.rejects(readRpm(stream, { key: "x.rpm", mtime: 0 }), (e) => e === boom);
});

Deno.test("readRpm() reads the same package from any chunking of the stream", async () => {
  const bytes = await Deno.readFile(fixture("rpm/complex-package-2.3.4-5.el8.x86_64.rpm"));
  const whole = await readRpm(ReadableStream.from([bytes]), { key: "c.rpm", mtime: 0 });
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
  const chunked = await readRpm(ReadableStream.from(pieces), { key: "c.rpm", mtime: 0 });
  assert.deepEqual(chunked, whole);
});
