/**
 * Element-by-element comparison of repodata XML (primary, filelists, other) with fast-xml-parser,
 * independent of mkrepo's own reader: attribute order, text and package order all count; only
 * `time file` (the rpm file's mtime) can be left out.
 * @module
 */
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";

export type Node = Record<string, unknown>;
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
});

const nameOf = (n: Node) => Object.keys(n).find((k) => k !== ":@")!;
const attrsOf = (n: Node) => (n[":@"] ?? {}) as Record<string, string>;
const kids = (n: Node) => (Array.isArray(n[nameOf(n)]) ? n[nameOf(n)] as Node[] : []);

/**
 * Parses a metadata document and drops `time file` (the rpm file's mtime, which differs
 * between the reference's generation and here) unless `keepFileTime`. Package order is kept:
 * createrepo_c's order is part of what we must match.
 */
export function canonical(xml: string, options: { keepFileTime?: boolean } = {}): Node[] {
  const doc = parser.parse(xml) as Node[];
  for (const root of doc) {
    const name = nameOf(root);
    if (name === "?xml" || name === "#text") continue;
    if (options.keepFileTime) continue;
    for (const p of kids(root).filter((n) => nameOf(n) === "package")) {
      for (const c of kids(p)) if (nameOf(c) === "time") delete attrsOf(c).file;
    }
  }
  return doc;
}

/** First difference between two canonical trees, as "path: ours vs theirs", or undefined. */
export function firstDifference(ours: Node[], theirs: Node[], path = ""): string | undefined {
  if (ours.length !== theirs.length) {
    return `${path || "/"}: ${ours.length} child nodes vs ${theirs.length}\n  ours:   ${
      JSON.stringify(ours.map(nameOf))
    }\n  theirs: ${JSON.stringify(theirs.map(nameOf))}`;
  }
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i], b = theirs[i];
    const name = nameOf(a);
    const here = `${path}/${name}[${i}]`;
    if (name !== nameOf(b)) return `${here}: element <${name}> vs <${nameOf(b)}>`;
    if (name === "#text") {
      if (a["#text"] !== b["#text"]) {
        return `${here}: text ${JSON.stringify(a["#text"])} vs ${JSON.stringify(b["#text"])}`;
      }
      continue;
    }
    const aa = JSON.stringify(Object.entries(attrsOf(a))),
      ba = JSON.stringify(Object.entries(attrsOf(b)));
    if (aa !== ba) return `${here}: attributes ${aa} vs ${ba}`;
    const inner = firstDifference(kids(a), kids(b), here);
    if (inner) return inner;
  }
  return undefined;
}

export function assertSameMetadata(
  type: string,
  ours: string,
  theirs: string,
  options: { keepFileTime?: boolean } = {},
) {
  const diff = firstDifference(canonical(ours, options), canonical(theirs, options));
  assert.equal(diff, undefined, `${type}.xml differs from createrepo_c's at ${diff}`);
}
