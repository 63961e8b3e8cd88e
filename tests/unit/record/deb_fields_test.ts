import assert from "node:assert/strict";
import {
  debArchitectureProblem,
  debNameProblem,
  debVersionProblem,
} from "../../../src/record/deb_fields.ts";
import { packageKeyProblem } from "../../../src/plan/package_key.ts";
import { poolPlace, poolPlaceProblem } from "../../../src/plan/pool_path.ts";
import { escapeControl, MkrepoError, redactUrls } from "../../../src/errors.ts";

Deno.test("Debian package names: policy's lowercase set, two characters or more", () => {
  for (const ok of ["hello", "g++", "libc6.1-dev", "0ad", "a1"]) {
    assert.equal(debNameProblem(ok), undefined, ok);
  }
  for (const bad of ["a/b", "UPPER_case", "a", "-x", ".x", "a b", "a\nb", ""]) {
    assert.ok(debNameProblem(bad), bad);
  }
});

Deno.test("Debian versions: [epoch:]upstream[-revision] with policy's characters", () => {
  for (
    const ok of ["1.0", "1:2.10-3", "2.10-3~bpo12+1", "1.2.5+nmu1", "0.1+aptly2021.01", "1.0-1-2"]
  ) {
    assert.equal(debVersionProblem(ok), undefined, ok);
  }
  for (
    const bad of ["not a version!", "x:1.0", ":1", "1.0-", "-1", "1.0-a_b", "1_0", "1:2:3-a:b"]
  ) {
    assert.ok(debVersionProblem(bad), bad);
  }
  assert.equal(debVersionProblem("1:2:3"), undefined, "colons after an epoch");
});

Deno.test("Debian architectures: lowercase letters, digits and -", () => {
  for (const ok of ["amd64", "all", "arm64", "musl-linux-arm64", "i386"]) {
    assert.equal(debArchitectureProblem(ok), undefined, ok);
  }
  for (const bad of ["amd 64", "../../../tmp", "AMD64", "", "-x", "a/b"]) {
    assert.ok(debArchitectureProblem(bad), bad);
  }
});

Deno.test("package keys: no . or .. segment, no control character", () => {
  for (const ok of ["pool/main/h/hello.deb", "Packages/a b+c%2B.rpm", "pool/..x/y.deb"]) {
    assert.equal(packageKeyProblem(ok), undefined, ok);
  }
  for (
    const bad of [
      "pool/../../evil.deb",
      "pool/./x.deb",
      "Packages/..",
      "pool/a\nb.deb",
      "pool/a\u007fb.deb",
      "pool/a\u0085b.deb",
    ]
  ) {
    assert.ok(packageKeyProblem(bad), JSON.stringify(bad));
  }
});

Deno.test("pool paths never give a dist that is no suite name", () => {
  const components = new Set(["main"]);
  assert.deepEqual(poolPlace("pool/stable/main/h/x.deb", components), {
    dist: "stable",
    component: "main",
  });
  for (const key of ["pool/../main/x.deb", "pool/a b/main/x.deb", "pool/.hidden/main/x.deb"]) {
    assert.deepEqual(poolPlace(key, components), { dist: "all", component: "main" }, key);
    assert.ok(poolPlaceProblem(key, components), key);
  }
  assert.equal(poolPlaceProblem("pool/main/a b/x.deb", components), undefined);
});

Deno.test("messages escape control characters and redact URL secrets", () => {
  assert.equal(escapeControl("a\nb\tc\u0001\u007f\u009f"), "a\\nb\\tc\\u0001\\u007f\\u009f");
  const e = new MkrepoError({ code: "malformed-package", key: "pool/a\nb.deb", reason: "x\ny" });
  assert.equal(e.message, 'Cannot read package "pool/a\\nb.deb": x\\ny');
  assert.equal(
    redactUrls("see http://user:pw@host:9/x and https://tok@h/y?a=1&X-Amz-Signature=abc&b=2"),
    "see http://***@host:9/x and https://***@h/y?a=1&X-Amz-Signature=***&b=2",
  );
  assert.equal(redactUrls("s3://bucket/pre/a@b.deb"), "s3://bucket/pre/a@b.deb");
});
