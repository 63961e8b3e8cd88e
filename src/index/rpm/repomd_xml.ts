/**
 * repomd.xml: written as createrepo_c writes it (src/xml_dump_repomd.c: revision, then repoid,
 * contenthash and tags when present, then one `<data>` per record with checksum, open-checksum,
 * header-checksum (zchunk only), location, timestamp, size, open-size, header-size,
 * database_version), and read back into records. Records read from an existing file keep their
 * original XML (`raw`) and are written back byte for byte, so types mkrepo does not produce
 * (group, updateinfo, modules, ...) survive unchanged.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import { parseXmlFragment, xmlAttr, xmlChild, xmlText } from "./xml_scanner.ts";
import { escapeXmlAttr as attr, escapeXmlText as text, unescapeXml } from "./xml_text.ts";

/** Key of repomd.xml, the entry point of an RPM repository. */
export const REPOMD = "repodata/repomd.xml";

/** Namespace of repomd.xml. */
export const REPOMD_NS = "http://linux.duke.edu/metadata/repo";

/** A checksum with its algorithm name ("sha256", "sha", ...). */
export interface RepomdChecksum {
  type: string;
  value: string;
}

/** One `<data>` record. */
export interface RepomdRecord {
  type: string;
  checksum: RepomdChecksum;
  openChecksum?: RepomdChecksum;
  /** zchunk header checksum (createrepo_c writes it only for *_zck records). */
  headerChecksum?: RepomdChecksum;
  location: { href: string; base?: string };
  timestamp?: number;
  size?: number;
  openSize?: number;
  headerSize?: number;
  databaseVersion?: number;
  /** The record's original XML, when read from an existing repomd.xml; written back as is. */
  raw?: string;
}

/** A whole repomd.xml. */
export interface Repomd {
  revision: string;
  /** Original `<repoid>`, `<contenthash>` and `<tags>` elements, written back as they were. */
  extras: string[];
  records: RepomdRecord[];
}

/** Record types mkrepo writes. */
export const PRODUCED_TYPES: readonly string[] = ["primary", "filelists", "other"];
/**
 * Record types derived from primary/filelists/other (sqlite and zchunk copies): they describe
 * the old package set and must be dropped when mkrepo rewrites the three files.
 */
export const DERIVED_TYPES: readonly string[] = [
  "primary_db",
  "filelists_db",
  "other_db",
  "primary_zck",
  "filelists_zck",
  "other_zck",
];

/**
 * True when primary, filelists and other are all listed. tarantool/mkrepo dropped other.xml and
 * wrote wrong values (LE/GE written as LT/GT, header ranges rounded to 8 bytes, no changelogs),
 * so a repository without all three should have its packages read again rather than taken over.
 */
export function hasCompleteRepodata(records: readonly RepomdRecord[]): boolean {
  return PRODUCED_TYPES.every((type) => records.some((r) => r.type === type));
}

/** Splits read records into ours (to be replaced), derived (to drop) and kept (everything else). */
export function splitRecords(
  records: readonly RepomdRecord[],
): { produced: RepomdRecord[]; derived: RepomdRecord[]; kept: RepomdRecord[] } {
  const out = {
    produced: [] as RepomdRecord[],
    derived: [] as RepomdRecord[],
    kept: [] as RepomdRecord[],
  };
  for (const r of records) {
    if (PRODUCED_TYPES.includes(r.type)) out.produced.push(r);
    else if (DERIVED_TYPES.includes(r.type)) out.derived.push(r);
    else out.kept.push(r);
  }
  return out;
}

function checksumLine(name: string, c: RepomdChecksum): string {
  return `    <${name} type="${attr(c.type)}">${text(c.value)}</${name}>\n`;
}

function recordXml(r: RepomdRecord): string {
  if (r.raw !== undefined) return `  ${r.raw}\n`;
  let out = `  <data type="${attr(r.type)}">\n${checksumLine("checksum", r.checksum)}`;
  if (r.openChecksum) out += checksumLine("open-checksum", r.openChecksum);
  if (r.headerChecksum) out += checksumLine("header-checksum", r.headerChecksum);
  const base = r.location.base !== undefined ? ` xml:base="${attr(r.location.base)}"` : "";
  out += `    <location href="${attr(r.location.href)}"${base}/>\n`;
  if (r.timestamp !== undefined) out += `    <timestamp>${r.timestamp}</timestamp>\n`;
  if (r.size !== undefined) out += `    <size>${r.size}</size>\n`;
  if (r.openSize !== undefined) out += `    <open-size>${r.openSize}</open-size>\n`;
  if (r.headerChecksum && r.headerSize !== undefined) {
    out += `    <header-size>${r.headerSize}</header-size>\n`;
  }
  if (r.databaseVersion !== undefined) {
    out += `    <database_version>${r.databaseVersion}</database_version>\n`;
  }
  return out + "  </data>\n";
}

/** Writes repomd.xml text (records in the order given; createrepo_c puts primary, filelists, other first). */
export function writeRepomd(
  repomd: { revision: string; records: readonly RepomdRecord[]; extras?: readonly string[] },
): string {
  let out =
    `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="${REPOMD_NS}" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n`;
  out += `  <revision>${text(repomd.revision)}</revision>\n`;
  for (const e of repomd.extras ?? []) out += `  ${e}\n`;
  for (const r of repomd.records) out += recordXml(r);
  return out + "</repomd>\n";
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*-?\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Parses repomd.xml text; `key` names the object in errors. */
export function readRepomd(xml: string, options: { key?: string } = {}): Repomd {
  const bad = (reason: string) =>
    new MkrepoError({ code: "malformed-index", key: options.key ?? REPOMD, reason });
  const body = xml.replace(/<!--[\s\S]*?-->/g, "");
  if (!/<repomd[\s>]/.test(body)) throw bad("no <repomd> element");
  if (!/<\/repomd\s*>/.test(body)) throw bad("the file ends before </repomd>");
  const revision = /<revision>([\s\S]*?)<\/revision>/.exec(body);
  const extras: string[] = [];
  for (const name of ["repoid", "contenthash", "tags"]) {
    const m = new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>[\\s\\S]*?</${name}\\s*>)`).exec(body);
    if (m) extras.push(m[0]);
  }
  const records: RepomdRecord[] = [];
  for (const m of body.matchAll(/<data[\s>][\s\S]*?<\/data>/g)) {
    const raw = m[0];
    const data = xmlChild(parseXmlFragment(raw), "data");
    const type = xmlAttr(data, "type");
    const checksum = xmlChild(data, "checksum");
    const location = xmlChild(data, "location");
    const href = xmlAttr(location, "href");
    if (!type || href === undefined || !checksum) {
      throw bad(`a <data> record lacks its type, location or checksum`);
    }
    const sum = (node: unknown): RepomdChecksum | undefined =>
      node === undefined
        ? undefined
        : { type: xmlAttr(node, "type") ?? "", value: xmlText(node).trim() };
    const field = (name: string) => {
      const node = xmlChild(data, name);
      return node === undefined ? undefined : num(xmlText(node));
    };
    const base = xmlAttr(location, "xml:base");
    const record: RepomdRecord = {
      type,
      checksum: sum(checksum)!,
      location: { href, ...(base !== undefined ? { base } : {}) },
      raw,
    };
    const openChecksum = sum(xmlChild(data, "open-checksum"));
    if (openChecksum) record.openChecksum = openChecksum;
    const headerChecksum = sum(xmlChild(data, "header-checksum"));
    if (headerChecksum) record.headerChecksum = headerChecksum;
    const fields = [
      ["timestamp", "timestamp"],
      ["size", "size"],
      ["openSize", "open-size"],
      ["headerSize", "header-size"],
      ["databaseVersion", "database_version"],
    ] as const;
    for (const [prop, name] of fields) {
      const v = field(name);
      if (v !== undefined) record[prop] = v;
    }
    records.push(record);
  }
  return { revision: revision ? unescapeXml(revision[1].trim()) : "", extras, records };
}
