/**
 * Header strings as createrepo_c puts them in XML (cr_xmlNewTextChild): UTF-8 when valid, else
 * Latin-1 with C0 controls and 0x80-0xBF dropped; control characters other than tab, LF and CR
 * are not allowed in XML at all.
 *
 * Nearly all header strings are short and ASCII (file names, dependencies): those are built with
 * `String.fromCharCode` after one scan of the bytes, which costs a fraction of a `TextDecoder`
 * call; the result is the same, as ASCII bytes are valid UTF-8 decoding to the same code units.
 * @module
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** ASCII strings up to this long are built from their char codes; longer ones are decoded. */
const ASCII_MAX = 1024;

function isControl(b: number): boolean {
  return b < 32 && b !== 9 && b !== 10 && b !== 13;
}

/** Decodes a header string as createrepo_c's cr_xmlNewTextChild does (UTF-8, else Latin-1). */
export function decodeHeaderText(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= ASCII_MAX) {
    let i = 0;
    while (i < n && bytes[i] < 128) i++;
    if (i === n) return fromAscii(bytes);
  }
  return decodeOther(bytes);
}

/**
 * {@linkcode decodeHeaderText} and a control-character check in one scan: the text, or
 * undefined when the bytes hold a control character XML does not allow (not tab, LF or CR).
 */
export function decodeCheckedHeaderText(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b < 32) {
      if (isControl(b)) return undefined;
    } else if (b >= 128) ascii = false;
  }
  return ascii && n <= ASCII_MAX ? fromAscii(bytes) : decodeOther(bytes);
}

/** ASCII bytes (at most ASCII_MAX of them) as a string. */
function fromAscii(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** UTF-8 when valid, else Latin-1 without C0 controls and 0x80-0xBF. */
function decodeOther(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let out = "";
    for (const b of bytes) {
      if (b < 128 ? !isControl(b) : b >= 192) out += String.fromCharCode(b);
    }
    return out;
  }
}
