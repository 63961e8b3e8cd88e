/**
 * The decoding of header strings: the fast ASCII path gives exactly what the plain rule gives
 * (UTF-8 when valid, else Latin-1 without C0 controls and 0x80-0xBF), and the one-scan check
 * finds the same control characters.
 * @module
 */
import assert from "node:assert/strict";
import { decodeCheckedHeaderText, decodeHeaderText } from "../../../src/reader/rpm/header_text.ts";

/** The rule, written plainly. */
function reference(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    let out = "";
    for (const b of bytes) {
      const control = b < 32 && b !== 9 && b !== 10 && b !== 13;
      if (b < 128 ? !control : b >= 192) out += String.fromCharCode(b);
    }
    return out;
  }
}

const referenceControl = (bytes: Uint8Array) =>
  bytes.some((b) => b < 32 && b !== 9 && b !== 10 && b !== 13);

function check(bytes: Uint8Array): void {
  const text = reference(bytes);
  const control = referenceControl(bytes);
  assert.equal(decodeHeaderText(bytes), text, `bytes ${bytes}`);
  assert.equal(decodeCheckedHeaderText(bytes), control ? undefined : text, `bytes ${bytes}`);
}

Deno.test("decodeHeaderText() and the one-scan check agree with the plain rule", () => {
  const enc = new TextEncoder();
  for (
    const s of [
      "",
      "a",
      "bash",
      "/usr/share/doc/x",
      "tab\there\r\n",
      "caf\u00e9",
      "\u65e5\u672c\u8a9e",
      "\ufeffbom",
      "emoji \u{1f600}",
      "x".repeat(1024),
      "x".repeat(1025),
      "y".repeat(70_000),
      "\u00e9".repeat(600),
    ]
  ) {
    check(enc.encode(s));
  }
  check(new Uint8Array([0x63, 0x61, 0x66, 0xe9])); // Latin-1 "café"
  check(new Uint8Array([0x41, 0x85, 0xc0, 0x01, 0x42])); // C1 dropped, control
  check(new Uint8Array([0x7f, 0x1f, 0x20, 0x0b]));
  check(new Uint8Array(2000).fill(0x41).fill(0xe9, 1500, 1501));

  // Random strings, mostly ASCII as header strings are, some with high or control bytes.
  let x = 12345;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(rand() ** 3 * 1500);
    const bytes = new Uint8Array(length);
    const mode = rand();
    for (let j = 0; j < length; j++) {
      const r = rand();
      bytes[j] = mode < 0.6 || r < 0.97
        ? 32 + Math.floor(rand() * 95)
        : mode < 0.8
        ? Math.floor(rand() * 256)
        : r < 0.99
        ? 0xc3
        : 0xa9;
    }
    check(bytes);
  }
});
