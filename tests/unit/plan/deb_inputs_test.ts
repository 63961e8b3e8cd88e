/** The digest of a Debian run's inputs, and when it lets a run skip reading the indexes. */
import assert from "node:assert/strict";
import {
  type DebIndexSettings,
  debInputsDigest,
  sameInputs,
} from "../../../src/plan/deb_inputs.ts";
import type { PublishedDist } from "../../../src/plan/published_deb.ts";
import { indexInputsText, parseIndexInputs } from "../../../src/record/index_inputs.ts";
import type { ObjectInfo } from "../../../src/storage/storage.ts";

const SETTINGS: DebIndexSettings = {
  hashes: ["md5", "sha256"],
  components: ["main"],
  signed: false,
  force: false,
};

const file = (key: string, size = 100, mtime = 1_700_000_000_000): ObjectInfo => ({
  key,
  size,
  mtime,
  etag: `e-${key}`,
});

const LISTING = [
  file("dists/stable/Release", 900),
  file("pool/main/a_1_all.deb"),
  file("pool/main/b_1_amd64.deb"),
  file("pool/main/b_1.dsc"),
  file("pool/main/b_1.tar.xz"),
];

Deno.test("debInputsDigest() changes with any pool file's key, size or time, and any setting", () => {
  const base = debInputsDigest(LISTING, SETTINGS);
  const changed = (listing: ObjectInfo[], settings = SETTINGS) =>
    assert.notEqual(debInputsDigest(listing, settings), base);
  changed(LISTING.map((o, i) => (i === 2 ? file(o.key, 101) : o)));
  changed(LISTING.map((o, i) => (i === 2 ? file(o.key, 100, o.mtime + 1000) : o)));
  changed(LISTING.map((o, i) => (i === 4 ? file("pool/main/b_1.orig.tar.xz") : o)));
  changed([...LISTING, file("pool/main/c_1_all.deb")]);
  changed(LISTING.slice(0, 4));
  changed(LISTING, { ...SETTINGS, hashes: ["md5", "sha256", "sha512"] });
  changed(LISTING, { ...SETTINGS, components: ["main", "contrib"] });
  changed(LISTING, { ...SETTINGS, signed: true });
  changed(LISTING, { ...SETTINGS, force: true });
  changed(LISTING, { ...SETTINGS, keep: 2 });
});

Deno.test("debInputsDigest() ignores listing order, etags and files outside pool/", () => {
  const base = debInputsDigest(LISTING, SETTINGS);
  assert.equal(debInputsDigest([...LISTING].reverse(), SETTINGS), base);
  assert.equal(debInputsDigest(LISTING.map((o) => ({ ...o, etag: "other" })), SETTINGS), base);
  assert.equal(debInputsDigest([...LISTING, file("dists/stable/InRelease")], SETTINGS), base);
});

Deno.test("sameInputs() needs the recorded digest and each dist's Release, exactly", () => {
  const dist = (releaseSha256?: string): PublishedDist => ({
    dist: "stable",
    release: { architectures: [], components: [], fields: new Map(), entries: new Map() },
    releaseSha256,
    etags: {},
    readIntact: new Set(),
  });
  const text = indexInputsText({
    digest: "d1",
    packages: 3,
    releases: new Map([["stable", "r1"]]),
  });
  const inputs = parseIndexInputs(text);
  assert.ok(inputs);
  assert.equal(inputs.packages, 3);
  assert.ok(sameInputs(inputs, new Map([["stable", dist("r1")]]), "d1"));
  assert.ok(!sameInputs(inputs, new Map([["stable", dist("r1")]]), "d2"), "other inputs");
  assert.ok(!sameInputs(inputs, new Map([["stable", dist("r2")]]), "d1"), "another Release");
  assert.ok(!sameInputs(inputs, new Map([["stable", dist()]]), "d1"), "InRelease only");
  assert.ok(
    !sameInputs(inputs, new Map([["stable", dist("r1")], ["other", dist("r1")]]), "d1"),
    "a dist the record does not name",
  );
  assert.ok(!sameInputs(undefined, new Map([["stable", dist("r1")]]), "d1"), "no record");
  for (const bad of ["", "{", "[]", '{"digest":1}', '{"digest":"d","packages":1,"releases":[]}']) {
    assert.equal(parseIndexInputs(bad), undefined, bad);
  }
});
