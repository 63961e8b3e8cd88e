/**
 * sameRelease(): a published Release is "the same" as the one a run would write exactly when
 * only its Date differs — checked against Release text written and parsed back.
 */
import assert from "node:assert/strict";
import {
  parseRelease,
  type ReleaseEntry,
  type ReleaseMeta,
  releaseText,
  sameRelease,
} from "../../../src/index/deb/release_file.ts";

const meta: ReleaseMeta = {
  origin: "Repo generator",
  label: "Repo generator",
  suite: "stable",
  codename: "stable",
  date: new Date("2026-01-02T03:04:05Z"),
  architectures: ["amd64", "arm64"],
  components: ["main"],
  description: "Repo generator",
};

const digests = (seed: string) => ({
  md5: seed.repeat(32),
  sha1: seed.repeat(40),
  sha256: seed.repeat(64),
  sha512: seed.repeat(128),
});

const entries: ReleaseEntry[] = [
  { path: "main/binary-amd64/Packages", checksums: { size: 1234, ...digests("a") } },
  { path: "main/binary-amd64/Packages.gz", checksums: { size: 567, ...digests("b") } },
];

const published = parseRelease(releaseText(meta, entries));

Deno.test("sameRelease: only the Date differs → the same", () => {
  assert.ok(sameRelease(published, meta, entries));
  assert.ok(sameRelease(published, { ...meta, date: new Date() }, [...entries].reverse()));
});

Deno.test("sameRelease: a field, a digest, a size or the set of files differs → not the same", () => {
  assert.ok(!sameRelease(published, { ...meta, label: "Other" }, entries));
  assert.ok(!sameRelease(published, { ...meta, architectures: ["amd64"] }, entries));
  const [first, second] = entries;
  const changed = (c: Partial<ReleaseEntry["checksums"]>) => [
    { ...first, checksums: { ...first.checksums, ...c } },
    second,
  ];
  assert.ok(!sameRelease(published, meta, changed({ sha512: "c".repeat(128) })));
  assert.ok(!sameRelease(published, meta, changed({ md5: "c".repeat(32) })));
  assert.ok(!sameRelease(published, meta, changed({ size: 1235 })));
  assert.ok(!sameRelease(published, meta, [first]));
  assert.ok(
    !sameRelease(published, meta, [...entries, {
      path: "main/source/Sources",
      checksums: first.checksums,
    }]),
  );
});

Deno.test("sameRelease: a Release with a field mkrepo does not write is not the same", () => {
  const text = releaseText(meta, entries).replace(
    "Acquire-By-Hash: yes\n",
    "Acquire-By-Hash: yes\nNotAutomatic: yes\n",
  );
  assert.ok(!sameRelease(parseRelease(text), meta, entries));
});
