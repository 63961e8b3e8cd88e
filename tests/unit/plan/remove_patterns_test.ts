/** `mkrepo remove` patterns: package name, file name or key, as shell globs. */
import assert from "node:assert/strict";
import { globRegExp, removePattern } from "../../../src/plan/remove_patterns.ts";

const HELLO = { key: "pool/main/h/hello/hello_2.10-3_amd64.deb", name: "hello" };

Deno.test("removePattern() matches a package name, a file name or a key, whole", () => {
  for (const p of ["hello", "hello_2.10-3_amd64.deb", HELLO.key, "hello_2.10-3_*", "pool/*"]) {
    assert.ok(removePattern(p).matches(HELLO), p);
  }
  for (const p of ["hell", "ello", "hello_2.10-3", "main", "hello_2.10-4_*"]) {
    assert.ok(!removePattern(p).matches(HELLO), p);
  }
  assert.ok(!removePattern("hello").matches({ key: "Packages/other.rpm" }), "no name: files only");
});

Deno.test("globRegExp() knows * ? [set] [!set] and escapes everything else", () => {
  assert.ok(globRegExp("a?c").test("abc"));
  assert.ok(globRegExp("v[0-9].+x").test("v7.+x"));
  assert.ok(!globRegExp("v[0-9].+x").test("v7a+x"), ". and + are literal");
  assert.ok(globRegExp("[!a]b").test("cb") && !globRegExp("[!a]b").test("ab"));
  assert.ok(globRegExp("(x)|[").test("(x)|["), "an unclosed [ is literal");
});
