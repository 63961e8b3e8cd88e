import assert from "node:assert/strict";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { filelistsPackage } from "../../../src/index/rpm/filelists_xml.ts";
import { metadataRecord, writeMetadataFile } from "../../../src/index/rpm/metadata_file.ts";
import { otherPackage } from "../../../src/index/rpm/other_xml.ts";
import {
  isPrimaryFile,
  primaryHeader,
  primaryPackage,
} from "../../../src/index/rpm/primary_xml.ts";
import { escapeXmlAttr, escapeXmlText, unescapeXml } from "../../../src/index/rpm/xml_text.ts";
import { hashBytes } from "../../../src/util/multi_hasher.ts";
import { samplePackage } from "./sample_package.ts";

Deno.test("escapeXmlText() and escapeXmlAttr() escape as libxml2 does for createrepo_c", () => {
  assert.equal(escapeXmlText(`a & <b> "c" 'd' é\r\n\tx`), `a &amp; &lt;b&gt; "c" 'd' é&#13;\n\tx`);
  assert.equal(escapeXmlAttr(`a & <b> "c" 'd'`), `a &amp; &lt;b&gt; &quot;c&quot; 'd'`);
  assert.equal(escapeXmlAttr("t\tn\nr\r"), "t&#9;n&#10;r&#13;");
  assert.equal(escapeXmlAttr("Ströder 😀"), "Str&#xF6;der &#x1F600;");
  assert.equal(escapeXmlText("bell\x07 \uFFFE\uD800x"), "bell x");
});

Deno.test("unescapeXml() reverses both escapings", () => {
  for (const s of [`a & <b> "c" 'd' é\r\n\tx`, "Ströder 😀 t\tn\nr\r"]) {
    assert.equal(unescapeXml(escapeXmlAttr(s), true), s);
    assert.equal(unescapeXml(escapeXmlText(s)), s);
  }
  assert.equal(unescapeXml("a\r\nb\rc"), "a\nb\nc");
  assert.equal(unescapeXml("a\tb\nc", true), "a b c");
  assert.equal(unescapeXml("&bogus; & &#65;&#x42;&apos;"), "&bogus; & AB'");
});

Deno.test("isPrimaryFile() keeps /etc/*, *bin/* and /usr/lib/sendmail", () => {
  assert.ok(isPrimaryFile("/etc/x"));
  assert.ok(isPrimaryFile("/opt/foo/sbin/x"));
  assert.ok(isPrimaryFile("/usr/lib/sendmail"));
  assert.ok(!isPrimaryFile("/etc"));
  assert.ok(!isPrimaryFile("/usr/share/doc/x"));
});

Deno.test("primaryPackage() writes createrepo_c's layout", () => {
  assert.equal(
    primaryPackage(samplePackage()),
    `<package type="rpm">
  <name>sample</name>
  <arch>noarch</arch>
  <version epoch="0" ver="1.0" rel="1"/>
  <checksum type="sha256" pkgid="YES">${"ab".repeat(32)}</checksum>
  <summary>S &amp; &lt;s&gt;</summary>
  <description>line one
line "two"&#13;</description>
  <packager>P &lt;p@example.org&gt;</packager>
  <url>https://example.org/?a=1&amp;b=2</url>
  <time file="1700000000" build="1600000000"/>
  <size package="100" installed="200" archive="300"/>
  <location href="Packages/s/sample-1.0-1.noarch.rpm"/>
  <format>
    <rpm:license>MIT</rpm:license>
    <rpm:vendor></rpm:vendor>
    <rpm:group>Unspecified</rpm:group>
    <rpm:buildhost>host</rpm:buildhost>
    <rpm:sourcerpm>sample-1.0-1.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="280" end="1000"/>
    <rpm:provides>
      <rpm:entry name="sample" flags="EQ" epoch="0" ver="1.0" rel="1"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/bin/sh" pre="1"/>
      <rpm:entry name="(a &gt;= 1 if b)"/>
    </rpm:requires>
    <rpm:recommends>
      <rpm:entry name="rec" flags="GE" epoch="1" ver="2"/>
    </rpm:recommends>
    <file>/etc/sample.conf</file>
    <file>/usr/bin/sample</file>
  </format>
</package>
`,
  );
  assert.ok(primaryHeader(3).endsWith(`packages="3">\n`));
});

Deno.test("filelistsPackage() and otherPackage() write createrepo_c's layout", () => {
  const pkg = samplePackage();
  assert.equal(
    filelistsPackage(pkg),
    `<package pkgid="${pkg.pkgid}" name="sample" arch="noarch">
  <version epoch="0" ver="1.0" rel="1"/>
  <file>/etc/sample.conf</file>
  <file type="dir">/usr/share/sample</file>
  <file>/usr/bin/sample</file>
  <file type="ghost">/var/log/sample.log</file>
</package>
`,
  );
  assert.equal(
    otherPackage(pkg),
    `<package pkgid="${pkg.pkgid}" name="sample" arch="noarch">
  <version epoch="0" ver="1.0" rel="1"/>
  <changelog author="J&#xF6;hn &lt;j@x&gt; - 1.0-1" date="1500000000">- a &amp; b</changelog>
</package>
`,
  );
});

Deno.test("writeMetadataFile() names the file by its sha256 and reports both stats", async () => {
  const pkgs = [samplePackage(), samplePackage({ name: "other", pkgid: "cd".repeat(32) })];
  const file = await writeMetadataFile("primary", pkgs);
  const open = gunzipSync(file.data);
  assert.equal(file.key, `repodata/${hashBytes(file.data, ["sha256"]).sha256}-primary.xml.gz`);
  assert.deepEqual(file.open, hashBytes(open, ["sha256"]));
  assert.equal(file.checksums.size, file.data.length);
  const text = new TextDecoder().decode(open);
  assert.ok(text.startsWith(primaryHeader(2)) && text.endsWith("</package>\n</metadata>"));
  const record = metadataRecord(file, 42);
  assert.deepEqual(record, {
    type: "primary",
    checksum: { type: "sha256", value: file.checksums.sha256 },
    openChecksum: { type: "sha256", value: file.open.sha256 },
    location: { href: file.key },
    timestamp: 42,
    size: file.data.length,
    openSize: open.length,
  });
});

Deno.test("writeMetadataFile() writes zstd and checks the announced count", async () => {
  async function* two() {
    yield samplePackage();
    yield samplePackage();
  }
  const file = await writeMetadataFile("other", two(), { compression: "zstd", count: 2 });
  assert.ok(file.key.endsWith("-other.xml.zst"));
  assert.match(new TextDecoder().decode(zstdDecompressSync(file.data)), /packages="2"/);
  await assert.rejects(
    writeMetadataFile("other", two(), { count: 3 }),
    /announced 3 packages but got 2/,
  );
});
