/**
 * Header strings as createrepo_c puts them in XML (cr_xmlNewTextChild): UTF-8 when valid, else
 * Latin-1 with C0 controls and 0x80-0xBF dropped; control characters other than tab, LF and CR
 * are not allowed in XML at all.
 * @module
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isControl(b: number): boolean {
  return b < 32 && b !== 9 && b !== 10 && b !== 13;
}

/** True when the bytes hold a control character XML does not allow (not tab, LF or CR). */
export function hasControlCharacter(bytes: Uint8Array): boolean {
  return bytes.some(isControl);
}

/** Decodes a header string as createrepo_c's cr_xmlNewTextChild does (UTF-8, else Latin-1). */
export function decodeHeaderText(bytes: Uint8Array): string {
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
