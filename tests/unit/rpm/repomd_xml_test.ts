import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import {
  hasCompleteRepodata,
  readRepomd,
  splitRecords,
  writeRepomd,
} from "../../../src/index/rpm/repomd_xml.ts";
import { REFERENCE } from "../../_helpers/fixtures.ts";

const EXISTING = `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>41</revision>
  <tags>
    <content>binary-x86_64</content>
    <distro cpeid="cpe:/o:example:os:9">Example 9</distro>
  </tags>
  <data type="primary">
    <checksum type="sha256">aa</checksum>
    <open-checksum type="sha256">bb</open-checksum>
    <location href="repodata/aa-primary.xml.gz"/>
    <timestamp>1</timestamp>
    <size>2</size>
    <open-size>3</open-size>
  </data>
  <data type="primary_db">
    <checksum type="sha256">cc</checksum>
    <location href="repodata/cc-primary.sqlite.bz2"/>
    <timestamp>1</timestamp>
    <size>2</size>
    <database_version>10</database_version>
  </data>
  <data type="group">
    <checksum type="sha256">dd</checksum>
    <location href="repodata/dd-comps.xml"/>
    <timestamp>5</timestamp>
    <size>6</size>
  </data>
  <data type="updateinfo">
      <checksum type="sha">ee</checksum>
      <open-checksum type="sha">ff</open-checksum>
      <location href="repodata/ee-updateinfo.xml.gz" xml:base="https://mirror.example/"/>
      <timestamp>7</timestamp>
      <size>8</size>
      <open-size>9</open-size>
      <x-extension>kept as is</x-extension>
  </data>
</repomd>
`;

Deno.test("writeRepomd() writes what createrepo_c wrote for the reference repository", () => {
  const text = Deno.readTextFileSync(`${REFERENCE}rpm-repodata/repomd.xml`);
  const parsed = readRepomd(text);
  assert.deepEqual(parsed.records.map((r) => r.type), ["primary", "filelists", "other"]);
  assert.ok(hasCompleteRepodata(parsed.records));
  const fresh = parsed.records.map(({ raw: _raw, ...r }) => r);
  assert.equal(writeRepomd({ revision: parsed.revision, records: fresh }), text);
});

Deno.test("readRepomd() returns every record; records we do not produce are written back unchanged", () => {
  const repomd = readRepomd(EXISTING, { key: "repodata/repomd.xml" });
  assert.equal(repomd.revision, "41");
  assert.equal(hasCompleteRepodata(repomd.records), false, "no other.xml: read the rpms again");
  const { produced, derived, kept } = splitRecords(repomd.records);
  assert.deepEqual(produced.map((r) => r.type), ["primary"]);
  assert.deepEqual(derived.map((r) => r.type), ["primary_db"]);
  assert.deepEqual(kept.map((r) => r.type), ["group", "updateinfo"]);
  const update = kept[1];
  assert.deepEqual(update.checksum, { type: "sha", value: "ee" });
  assert.deepEqual(update.location, {
    href: "repodata/ee-updateinfo.xml.gz",
    base: "https://mirror.example/",
  });
  assert.equal(update.openSize, 9);
  assert.equal(derived[0].databaseVersion, 10);
  const written = writeRepomd({
    revision: "42",
    records: [
      { ...produced[0], raw: undefined, checksum: { type: "sha256", value: "11" } },
      ...kept,
    ],
    extras: repomd.extras,
  });
  for (const r of kept) assert.ok(written.includes(r.raw!), `${r.type} kept byte for byte`);
  assert.ok(written.includes(repomd.extras[0]));
  assert.ok(!written.includes("primary_db"));
  assert.deepEqual(readRepomd(written).records.map((r) => r.type), [
    "primary",
    "group",
    "updateinfo",
  ]);
});

Deno.test("readRepomd() rejects what is not a complete repomd.xml", () => {
  const isIndexError = (e: unknown) =>
    e instanceof MkrepoError && e.code === "malformed-index" && e.key === "r/repomd.xml";
  assert.throws(() => readRepomd("<html></html>", { key: "r/repomd.xml" }), isIndexError);
  assert.throws(() => readRepomd(EXISTING.slice(0, 400), { key: "r/repomd.xml" }), isIndexError);
  assert.throws(
    () =>
      readRepomd(EXISTING.replace('<location href="repodata/dd-comps.xml"/>', ""), {
        key: "r/repomd.xml",
      }),
    isIndexError,
  );
});
