import assert from "node:assert/strict";
import { MkrepoError } from "../../../src/errors.ts";
import {
  type Deb822Field,
  fieldValue,
  formatParagraph,
  parseParagraph,
  validateField,
} from "../../../src/record/deb822.ts";
import { formatFileList, parseFileLists } from "../../../src/record/deb822_file_lists.ts";
import { readParagraphs } from "../../../src/record/deb822_stream.ts";

const encoder = new TextEncoder();

const TEXT = `Package: hello
Version: 2.10-3
Description: example package based on GNU hello
 The GNU hello program produces a familiar, friendly greeting.
 .
 Seriously, though: this is an example.
Package-List:
 hello deb devel optional arch=any
Empty:
`;

function malformed(pattern: RegExp, code = "malformed-package") {
  return (e: unknown) => {
    assert.ok(e instanceof MkrepoError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.key, "k");
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("parseParagraph() keeps case, order and continuation lines", () => {
  const fields = parseParagraph(TEXT);
  assert.deepEqual(fields, [
    ["Package", "hello"],
    ["Version", "2.10-3"],
    [
      "Description",
      "example package based on GNU hello\n The GNU hello program produces a familiar, " +
      "friendly greeting.\n .\n Seriously, though: this is an example.",
    ],
    ["Package-List", "\n hello deb devel optional arch=any"],
    ["Empty", ""],
  ]);
  assert.equal(formatParagraph(fields), TEXT);
  assert.equal(fieldValue(fields, "package-list"), "\n hello deb devel optional arch=any");
  assert.equal(fieldValue(fields, "Missing"), undefined);
});

Deno.test("parseParagraph() trims around values and tolerates blank lines around the paragraph", () => {
  const fields = parseParagraph("\n\nA:   x  \nB:\ty\n c \t\n\n \n");
  assert.deepEqual(fields, [["A", "x"], ["B", "y\n c"]]);
  assert.equal(formatParagraph(fields), "A: x\nB: y\n c\n");
});

Deno.test("parseParagraph() rejects paragraph and field injection", () => {
  const cases: [string, RegExp][] = [
    ["A: x\n\nB: y\n", /empty line 2 inside the paragraph/],
    ["A: x\n \nB: y\n", /line 2 of field A is whitespace only/],
    ["A: x\n\t\nB: y\n", /whitespace only/],
    [" A: x\n", /line 1 continues no field/],
    ["A: x\nno colon here\n", /line 2 is not "Field: value"/],
    [": x\n", /line 1 is not "Field: value"/],
    ["A B: x\n", /invalid field name "A B"/],
    ["#A: x\n", /invalid field name "#A"/],
    ["-A: x\n", /invalid field name "-A"/],
    ["Ä: x\n", /invalid field name/],
    ["A: x\nB: y\na: z\n", /duplicate field a/],
    ["A: x\r\nB: y\r\n", /carriage return/],
    ["A: x\0y\n", /NUL byte/],
    ["A: x\x1by\n", /control character U\+001B/],
    ["\n \n", /empty paragraph/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseParagraph(text, { key: "k" }), malformed(pattern), text);
  }
});

Deno.test("formatParagraph() rejects values that would inject a field or a paragraph", () => {
  const cases: [Deb822Field[], RegExp][] = [
    [[["Description", "x\n\nPackage: evil"]], /empty line 2/],
    [[["Description", "x\n \nPackage: evil"]], /empty line 2/],
    [[["Description", "x\nPackage: evil"]], /line 2 not starting with a space/],
    [[["Description", "x\n"]], /empty line 2/],
    [[["Description", "x\r\nPackage: evil"]], /carriage return/],
    [[["Description", "x\0"]], /NUL byte/],
    [[["Description", " leading"]], /starts with whitespace/],
    [[["Bad:Name", "x"]], /invalid field name "Bad:Name"/],
    [[["Bad Name", "x"]], /invalid field name/],
    [[["", "x"]], /invalid field name ""/],
    [[["A", "1"], ["a", "2"]], /duplicate field a/],
  ];
  for (const [fields, pattern] of cases) {
    assert.throws(
      () => formatParagraph(fields, { key: "k", code: "malformed-index" }),
      malformed(pattern, "malformed-index"),
      JSON.stringify(fields),
    );
  }
  assert.doesNotThrow(() => validateField("Description", "x\n .\n\ty"));
});

async function collect(
  chunks: readonly string[],
  options = {},
): Promise<Deb822Field[][]> {
  const stream = ReadableStream.from(chunks.map((c) => encoder.encode(c)));
  const out: Deb822Field[][] = [];
  for await (const p of readParagraphs(stream, { key: "k", ...options })) out.push(p);
  return out;
}

Deno.test("readParagraphs() splits a stream at empty lines wherever chunks break", async () => {
  const text = "\nA: 1\nB: é\n c\n\n\n\nA: 2\n\nA: 3\n";
  const expected = [[["A", "1"], ["B", "é\n c"]], [["A", "2"]], [["A", "3"]]];
  const bytes = encoder.encode(text);
  for (let size = 1; size <= bytes.length; size++) {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < bytes.length; at += size) c.enqueue(bytes.slice(at, at + size));
        c.close();
      },
    });
    const out: Deb822Field[][] = [];
    for await (const p of readParagraphs(stream)) out.push(p);
    assert.deepEqual(out, expected, `chunk size ${size}`);
  }
  assert.deepEqual(await collect(["A: 1"]), [[["A", "1"]]]);
  assert.deepEqual(await collect([]), []);
});

Deno.test("readParagraphs() reports malformed indexes with code malformed-index", async () => {
  await assert.rejects(
    collect(["A: 1\n\nA: 2\n \nB: 3\n"]),
    malformed(/index: line 2 of field A is whitespace only/, "malformed-index"),
  );
  await assert.rejects(
    collect(["A: 1\n\nB: 2\nB: 3\n"]),
    malformed(/duplicate field B/, "malformed-index"),
  );
  await assert.rejects(
    (async () => {
      const stream = ReadableStream.from([new Uint8Array([0x41, 0x3a, 0xff, 0x0a])]);
      for await (const _ of readParagraphs(stream, { key: "k" })) { /* nothing */ }
    })(),
    malformed(/not valid UTF-8/, "malformed-index"),
  );
  await assert.rejects(
    collect(["A: " + "x".repeat(100)], { maxParagraph: 50 }),
    malformed(/longer than 50/, "malformed-index"),
  );
});

Deno.test("readParagraphs() cancels the stream when the caller stops early", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(encoder.encode("A: 1\n\n"));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const p of readParagraphs(stream)) {
    assert.deepEqual(p, [["A", "1"]]);
    break;
  }
  assert.ok(cancelled);
});

Deno.test("parseFileLists() merges Files and Checksums-* lists by file name", () => {
  const md5 = "0".repeat(32);
  const sha256 = "A".repeat(64);
  const fields: Deb822Field[] = [
    ["Checksums-Sha256", `\n ${sha256} 5 b.tar.xz\n ${sha256} 3 a.dsc`],
    ["Files", `\n ${md5} 3 a.dsc\n ${md5} 5 b.tar.xz`],
  ];
  const files = parseFileLists(fields, { key: "k" });
  assert.deepEqual(files, [
    { name: "b.tar.xz", checksums: { size: 5, sha256: sha256.toLowerCase(), md5 } },
    { name: "a.dsc", checksums: { size: 3, sha256: sha256.toLowerCase(), md5 } },
  ]);
  assert.equal(formatFileList(files, "md5"), `\n ${md5} 5 b.tar.xz\n ${md5} 3 a.dsc`);
  assert.equal(formatFileList(files, "sha1"), undefined);
  assert.throws(
    () => parseFileLists([["Files", `\n ${md5} 3 ..`]], { key: "k" }),
    malformed(/outside its directory/),
  );
  assert.throws(
    () => parseFileLists([["Files", `\n ${md5} 3 a\n ${"1".repeat(32)} 3 a`]], { key: "k" }),
    malformed(/two different md5 digests/),
  );
});
