/**
 * XML text and attribute escaping exactly as createrepo_c's output gets it from libxml2 2.9
 * (xmlNodeDump of nodes without a document: text through xmlEscapeContent, attributes through
 * xmlBufAttrSerializeTxtContent), plus the reverse for reading repodata back.
 *
 * - Text: & < > become entities, CR becomes &#13;, everything else is written as is (UTF-8).
 * - Attributes: & < > " become entities, TAB/LF/CR become &#9; &#10; &#13;, and every
 *   non-ASCII character becomes a hex reference (&#xF6;), as libxml2 does without a document
 *   encoding.
 * - Characters XML 1.0 forbids (C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE,
 *   U+FFFF) are dropped. createrepo_c refuses packages holding C0 controls (the rpm reader does
 *   too); dropping keeps records from elsewhere from producing a document no parser accepts.
 * Header bytes that are not UTF-8 are turned into text earlier, by the rpm reader.
 * @module
 */

const INVALID =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const TEXT_SPECIAL = /[&<>\r]/g;
const TEXT_ENTITY: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\r": "&#13;",
};
const ATTR_PLAIN = /^[\x20-\x21\x23-\x25\x27-\x3B\x3D\x3F-\x7E]*$/;

/** Removes characters that XML 1.0 does not allow anywhere. */
export function stripInvalidXmlChars(value: string): string {
  INVALID.lastIndex = 0;
  return INVALID.test(value) ? value.replace(INVALID, "") : value;
}

/** Escapes element text as libxml2 writes it. */
export function escapeXmlText(value: string): string {
  const clean = stripInvalidXmlChars(value);
  return clean.replace(TEXT_SPECIAL, (c) => TEXT_ENTITY[c]);
}

/** Escapes an attribute value (without the quotes) as libxml2 writes it for createrepo_c. */
export function escapeXmlAttr(value: string): string {
  if (ATTR_PLAIN.test(value)) return value;
  let out = "";
  for (const ch of stripInvalidXmlChars(value)) {
    switch (ch) {
      case "&":
        out += "&amp;";
        break;
      case "<":
        out += "&lt;";
        break;
      case ">":
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case "\t":
        out += "&#9;";
        break;
      case "\n":
        out += "&#10;";
        break;
      case "\r":
        out += "&#13;";
        break;
      default: {
        const cp = ch.codePointAt(0)!;
        out += cp < 0x80 ? ch : `&#x${cp.toString(16).toUpperCase()};`;
      }
    }
  }
  return out;
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const REFERENCE = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);/g;

/**
 * Turns raw XML character data back into text: line ends normalised (CR LF and CR → LF),
 * in attribute values literal whitespace becomes a space (XML 1.0 §3.3.3), then character and
 * predefined entity references are replaced. Unknown references are left as they are.
 */
export function unescapeXml(raw: string, attribute = false): string {
  let s = raw.includes("\r") ? raw.replace(/\r\n?/g, "\n") : raw;
  if (attribute && /[\t\n]/.test(s)) s = s.replace(/[\t\n]/g, " ");
  if (!s.includes("&")) return s;
  return s.replace(REFERENCE, (whole, ref: string) => {
    if (ref[0] !== "#") return NAMED[ref] ?? whole;
    const cp = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}
