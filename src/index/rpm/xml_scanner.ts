/**
 * A small, lenient XML scanner for repodata: parses one `<package>` fragment (or a repomd.xml)
 * into a tree of elements, and reads attributes and text from it with references resolved.
 * Used by the repodata readers (read_metadata.ts) and repomd_xml.ts.
 * @module
 */
import { unescapeXml } from "./xml_text.ts";

/** An element of a parsed fragment: raw attribute values and raw character data. */
interface XmlElement {
  name: string;
  /** Raw attribute values (references not resolved); undefined when there are none. */
  attrs?: Record<string, string>;
  children: XmlElement[];
  /** Raw character data directly inside the element (CDATA sections escaped into it). */
  text: string;
}

function malformedXml(reason: string): Error {
  return new Error(`malformed XML: ${reason}`);
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

/**
 * Parses a small XML fragment into a tree of elements, leaving references raw (the accessors
 * below resolve them). A hand-written scanner: metadata of thousands of packages is read on
 * every run, and a general-purpose parser spent most of an unchanged run's time here. It is
 * lenient the way repodata from other tools needs: `<` inside quoted attribute values (as
 * tarantool/mkrepo writes them), raw `&`, end tags that close several open elements, and stray
 * end tags are accepted; comments, processing instructions and DOCTYPE are skipped.
 */
export function parseXmlFragment(xml: string): unknown {
  const doc: XmlElement = { name: "#document", children: [], text: "" };
  const stack: XmlElement[] = [doc];
  let top = doc;
  const n = xml.length;
  let i = 0;
  while (i < n) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) {
      if (top !== doc) top.text += xml.slice(i);
      break;
    }
    if (lt > i && top !== doc) top.text += xml.slice(i, lt);
    const c = xml.charCodeAt(lt + 1);
    if (c === 0x2f) { // </name>
      const gt = xml.indexOf(">", lt);
      if (gt < 0) throw malformedXml("unterminated end tag");
      const name = xml.slice(lt + 2, gt).trim();
      let k = stack.length - 1;
      while (k > 0 && stack[k].name !== name) k--;
      if (k > 0) {
        stack.length = k;
        top = stack[k - 1];
      }
      i = gt + 1;
    } else if (c === 0x21) { // <!-- -->, <![CDATA[ ]]>, <!DOCTYPE>
      if (xml.startsWith("<!--", lt)) {
        const end = xml.indexOf("-->", lt + 4);
        if (end < 0) throw malformedXml("unterminated comment");
        i = end + 3;
      } else if (xml.startsWith("<![CDATA[", lt)) {
        const end = xml.indexOf("]]>", lt + 9);
        if (end < 0) throw malformedXml("unterminated CDATA section");
        if (top !== doc) {
          top.text += xml.slice(lt + 9, end).replaceAll("&", "&amp;");
        }
        i = end + 3;
      } else {
        const gt = xml.indexOf(">", lt);
        if (gt < 0) throw malformedXml("unterminated declaration");
        i = gt + 1;
      }
    } else if (c === 0x3f) { // <?...?>
      const end = xml.indexOf("?>", lt + 2);
      if (end < 0) throw malformedXml("unterminated processing instruction");
      i = end + 2;
    } else {
      let j = lt + 1;
      while (j < n) {
        const d = xml.charCodeAt(j);
        if (isSpace(d) || d === 0x3e || d === 0x2f) break;
        j++;
      }
      if (j === lt + 1) throw malformedXml(`"<" not followed by a name at ${lt}`);
      const el: XmlElement = { name: xml.slice(lt + 1, j), children: [], text: "" };
      let selfClosing = false;
      for (;;) {
        while (j < n && isSpace(xml.charCodeAt(j))) j++;
        if (j >= n) throw malformedXml(`unterminated <${el.name}> tag`);
        const d = xml.charCodeAt(j);
        if (d === 0x3e) {
          j++;
          break;
        }
        if (d === 0x2f && xml.charCodeAt(j + 1) === 0x3e) {
          selfClosing = true;
          j += 2;
          break;
        }
        const nameStart = j;
        while (j < n) {
          const e = xml.charCodeAt(j);
          if (e === 0x3d || isSpace(e) || e === 0x3e || e === 0x2f) break;
          j++;
        }
        const attr = xml.slice(nameStart, j);
        while (j < n && isSpace(xml.charCodeAt(j))) j++;
        if (xml.charCodeAt(j) !== 0x3d) {
          if (attr === "") j++; // a stray character: skip it
          continue; // an attribute without a value: ignored
        }
        j++;
        while (j < n && isSpace(xml.charCodeAt(j))) j++;
        const quote = xml[j];
        if (quote !== '"' && quote !== "'") {
          throw malformedXml(`unquoted value of ${attr} in <${el.name}>`);
        }
        const end = xml.indexOf(quote, j + 1);
        if (end < 0) throw malformedXml(`unterminated value of ${attr} in <${el.name}>`);
        (el.attrs ??= {})[attr] = xml.slice(j + 1, end);
        j = end + 1;
      }
      top.children.push(el);
      if (!selfClosing) {
        stack.push(el);
        top = el;
      }
      i = j;
    }
  }
  return doc;
}

const isElement = (v: unknown): v is XmlElement =>
  typeof v === "object" && v !== null && "children" in v;

/** All children of a parsed node with the given element name. */
export function xmlChildren(node: unknown, name: string): unknown[] {
  if (!isElement(node)) return [];
  return node.children.filter((c) => c.name === name);
}

/** First child of a parsed node with the given element name. */
export function xmlChild(node: unknown, name: string): unknown {
  if (!isElement(node)) return undefined;
  return node.children.find((c) => c.name === name);
}

// Most values hold nothing to resolve or normalise: skip the general routine for them.
const ATTR_SPECIAL = /[&\r\t\n]/;
const TEXT_SPECIAL = /[&\r]/;

/** An attribute value, references resolved. */
export function xmlAttr(node: unknown, name: string): string | undefined {
  if (!isElement(node)) return undefined;
  const v = node.attrs?.[name];
  if (v === undefined) return undefined;
  return ATTR_SPECIAL.test(v) ? unescapeXml(v, true) : v;
}

/** The text content of an element, references resolved ("" for an empty element). */
export function xmlText(node: unknown): string {
  const raw = typeof node === "string" ? node : isElement(node) ? node.text : "";
  return TEXT_SPECIAL.test(raw) ? unescapeXml(raw) : raw;
}
