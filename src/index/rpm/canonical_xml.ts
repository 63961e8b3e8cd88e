/**
 * Recognises `<package>` fragments of primary/filelists/other that are exactly what mkrepo's
 * writers (primary_xml.ts, filelists_xml.ts, other_xml.ts) produce for the record the lenient
 * reader (read_metadata.ts) makes of them: same lines, indentation, element and attribute
 * order, and every value in the escaped form the writer gives it. Such a fragment can be
 * written back verbatim; anything else (another tool's layout, a reference the writer would
 * spell differently, a value the reader drops or normalises) is not recognised, and the caller
 * parses and rewrites it. Values are returned as the reader resolves them.
 * @module
 */
import { isPrimaryFile } from "../../record/rpm_package.ts";
import { escapeXmlAttr, escapeXmlText, unescapeXml } from "./xml_text.ts";

/** What the planner, retention and the merge need of a primary fragment. */
export interface PrimaryHead {
  name: string;
  arch: string;
  epoch: string;
  version: string;
  release: string;
  pkgid: string;
  fileTime: number;
  packageSize: number;
  href: string;
  base?: string;
  /** The primary file entries (type and path), to compare with filelists' (filesKey()). */
  files: string;
}

/** Identity of a filelists/other fragment, as packageIdentity() writes it. */
export interface FragmentHead {
  pkgid: string;
  /** Characters of the `<package …>` and `<version …/>` lines. */
  identityEnd: number;
}

/** A filelists fragment's head and its primary file entries. */
export interface FilelistsHead extends FragmentHead {
  files: string;
}

const FLAGS = new Set(["EQ", "LT", "GT", "LE", "GE"]);
const DEPS = [
  "provides",
  "requires",
  "conflicts",
  "obsoletes",
  "suggests",
  "enhances",
  "recommends",
  "supplements",
];
/** Consecutive text elements of primary's head: each closing tag and the next opening one. */
const TEXT_ELEMENTS = [
  ["checksum", "summary"],
  ["summary", "description"],
  ["description", "packager"],
  ["packager", "url"],
];
const NUMBER = /^(?:0|[1-9][0-9]{0,14})$/;

/** A cursor that accepts only the writers' exact output. */
class Cursor {
  pos = 0;
  constructor(readonly s: string) {}

  lit(t: string): boolean {
    if (!this.s.startsWith(t, this.pos)) return false;
    this.pos += t.length;
    return true;
  }

  /** Element text up to the next "<", when escapeXmlText() writes its value so. */
  text(): string | undefined {
    const end = this.s.indexOf("<", this.pos);
    if (end < 0) return undefined;
    const raw = this.s.slice(this.pos, end);
    this.pos = end;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c < 0x20 ? c !== 0x0a && c !== 0x09 : c === 0x26 || c === 0x3e || c >= 0xd800) {
        const value = unescapeXml(raw);
        return escapeXmlText(value) === raw ? value : undefined;
      }
    }
    return raw;
  }

  /** An attribute value up to its closing quote (consumed), when escapeXmlAttr() writes it so. */
  attr(): string | undefined {
    const end = this.s.indexOf('"', this.pos);
    if (end < 0) return undefined;
    const raw = this.s.slice(this.pos, end);
    this.pos = end + 1;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x26 || c === 0x3c || c === 0x3e) {
        const value = unescapeXml(raw, true);
        return escapeXmlAttr(value) === raw ? value : undefined;
      }
    }
    return raw;
  }

  /** A non-empty attribute value (the reader drops empty ones). */
  full(): string | undefined {
    const v = this.attr();
    return v ? v : undefined;
  }

  /** A decimal attribute value as `${n}` writes it, closing quote consumed. */
  num(): number | undefined {
    const end = this.s.indexOf('"', this.pos);
    const raw = end < 0 ? "" : this.s.slice(this.pos, end);
    this.pos = end + 1;
    return NUMBER.test(raw) ? Number(raw) : undefined;
  }

  /** `<file>` lines with `indent`; returns the primary ones as filesKey() joins them. */
  files(indent: string, primaryOnly: boolean): string | undefined {
    let out = "";
    while (this.lit(`${indent}<file`)) {
      const type = this.lit(">")
        ? "file"
        : this.lit(' type="dir">')
        ? "dir"
        : this.lit(' type="ghost">')
        ? "ghost"
        : undefined;
      const path = type && this.text();
      if (path === undefined || !this.lit("</file>\n")) return undefined;
      // tarantool/mkrepo's DIRNAMES entries are dropped by the reader
      if (type === "dir" && path.length > 1 && path.endsWith("/")) return undefined;
      if (isPrimaryFile(path)) out += filesKey(type!, path);
      else if (primaryOnly) return undefined;
    }
    return out;
  }
}

/** One file entry as the `files` of PrimaryHead and FilelistsHead join them. */
export function filesKey(type: string, path: string): string {
  return `${type}\0${path}\n`;
}

/** The head of a primary fragment the writer would write back verbatim; otherwise undefined. */
export function canonicalPrimary(xml: string): PrimaryHead | undefined {
  const c = new Cursor(xml);
  const text = (open: string) => c.lit(open) ? c.text() : undefined;
  const name = text('<package type="rpm">\n  <name>');
  const arch = text("</name>\n  <arch>");
  if (name === undefined || arch === undefined || !c.lit('</arch>\n  <version epoch="')) return;
  const epoch = c.full();
  const version = c.lit(' ver="') ? c.attr() : undefined;
  const release = c.lit(' rel="') ? c.attr() : undefined;
  if (epoch === undefined || version === undefined || release === undefined) return;
  if (!c.lit('/>\n  <checksum type="') || c.attr() === undefined) return;
  const pkgid = text(' pkgid="YES">');
  if (pkgid === undefined || pkgid !== pkgid.trim()) return;
  for (const [close, open] of TEXT_ELEMENTS) {
    if (text(`</${close}>\n  <${open}>`) === undefined) return;
  }
  if (!c.lit('</url>\n  <time file="')) return;
  const fileTime = c.num();
  if (fileTime === undefined || !c.lit(' build="') || c.num() === undefined) return;
  if (!c.lit('/>\n  <size package="')) return;
  const packageSize = c.num();
  if (packageSize === undefined || !c.lit(' installed="') || c.num() === undefined) return;
  if (!c.lit(' archive="') || c.num() === undefined || !c.lit("/>\n  <location")) return;
  let base: string | undefined;
  if (c.lit(' xml:base="') && (base = c.full()) === undefined) return;
  const href = c.lit(' href="') ? c.attr() : undefined;
  if (href === undefined || !c.lit("/>\n  <format>\n")) return;
  for (const e of ["license", "vendor", "group", "buildhost", "sourcerpm"]) {
    if (!c.lit(`    <rpm:${e}>`) || c.text() === undefined || !c.lit(`</rpm:${e}>\n`)) return;
  }
  if (!c.lit('    <rpm:header-range start="') || c.num() === undefined) return;
  if (!c.lit(' end="') || c.num() === undefined || !c.lit("/>\n")) return;
  for (const kind of DEPS) {
    if (!c.lit(`    <rpm:${kind}>\n`)) continue;
    let n = 0;
    for (; c.lit('      <rpm:entry name="'); n++) {
      if (c.full() === undefined) return;
      if (c.lit(' flags="')) {
        const end = xml.indexOf('"', c.pos);
        if (!FLAGS.has(xml.slice(c.pos, end))) return;
        c.pos = end + 1;
        for (const k of [" epoch=", " ver=", " rel="]) {
          if (c.lit(`${k}"`) && c.full() === undefined) return;
        }
      }
      if (kind === "requires") c.lit(' pre="1"');
      if (!c.lit("/>\n")) return;
    }
    if (n === 0 || !c.lit(`    </rpm:${kind}>\n`)) return;
  }
  const files = c.files("    ", true);
  if (files === undefined || !c.lit("  </format>\n</package>") || c.pos !== xml.length) return;
  const head: PrimaryHead = {
    name,
    arch,
    epoch,
    version,
    release,
    pkgid,
    fileTime,
    packageSize,
    href,
    files,
  };
  if (base !== undefined) head.base = base;
  return head;
}

/** `<package pkgid name arch>` and `<version>` lines as packageIdentity() writes them. */
function identity(c: Cursor): FragmentHead | undefined {
  if (!c.lit('<package pkgid="')) return;
  const pkgid = c.attr();
  if (pkgid === undefined || !c.lit(' name="') || c.attr() === undefined) return;
  if (!c.lit(' arch="') || c.attr() === undefined || !c.lit('>\n  <version epoch="')) return;
  if (c.full() === undefined || !c.lit(' ver="') || c.attr() === undefined) return;
  if (!c.lit(' rel="') || c.attr() === undefined || !c.lit("/>\n")) return;
  return { pkgid, identityEnd: c.pos };
}

/** The head of a filelists fragment the writer would write back verbatim; otherwise undefined. */
export function canonicalFilelists(xml: string): FilelistsHead | undefined {
  const c = new Cursor(xml);
  const head = identity(c);
  const files = head && c.files("  ", false);
  if (files === undefined || !c.lit("</package>") || c.pos !== xml.length) return;
  return { ...head!, files };
}

/** The head of an other fragment the writer would write back verbatim; otherwise undefined. */
export function canonicalOther(xml: string): FragmentHead | undefined {
  const c = new Cursor(xml);
  const head = identity(c);
  if (!head) return;
  while (c.lit('  <changelog author="')) {
    if (c.attr() === undefined || !c.lit(' date="') || c.num() === undefined) return;
    if (!c.lit(">") || c.text() === undefined || !c.lit("</changelog>\n")) return;
  }
  if (!c.lit("</package>") || c.pos !== xml.length) return;
  return head;
}
