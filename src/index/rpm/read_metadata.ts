/**
 * Reads existing repodata (primary, filelists, other) back into RpmPackage records, so a
 * repository made by createrepo_c, by the original tarantool/mkrepo or by mkrepo can be taken
 * over. The text is split at `<package …>` … `</package>` boundaries as it streams in and each
 * fragment is parsed on its own by a small lenient scanner (memory per package is bounded by
 * `maxFragment`); the whole document is never parsed at once.
 *
 * Quirks of tarantool/mkrepo's output handled here: no other.xml, text and attributes written
 * without escaping, `<version>` without empty attributes, and every directory of the package's
 * DIRNAMES appended to the file lists as `<file type="dir">/path/</file>` (with a trailing slash;
 * such entries are not packaged paths and are dropped). Its other mistakes (LE/GE written as
 * LT/GT, "NE", header ranges rounded up to 8 bytes) cannot be undone from the XML: see
 * hasCompleteRepodata() in repomd_xml.ts for when to read the rpms again. Flags other than
 * EQ/LT/GT/LE/GE are dropped with their version.
 * @module
 */
import { createZstdDecompress } from "node:zlib";
import { MkrepoError } from "../../errors.ts";
import type {
  RpmChangelogEntry,
  RpmDependency,
  RpmDepFlags,
  RpmFile,
  RpmPackage,
} from "../../record/rpm_package.ts";
import { unescapeXml } from "./xml_text.ts";

/** Compression of a metadata file, detected from its first bytes. */
export type MetadataFormat = "plain" | "gzip" | "zstd" | "xz" | "bzip2";

/** Options of the repodata readers. */
export interface ReadMetadataOptions {
  /** Key of the file, for error messages. */
  key: string;
  /** Decompressor for formats handled elsewhere (xz, bzip2); without it they are rejected. */
  decompress?: (
    stream: ReadableStream<Uint8Array>,
    format: "xz" | "bzip2",
  ) => ReadableStream<Uint8Array>;
  /** Largest `<package>` element accepted, in characters (default 64 Mi). */
  maxFragment?: number;
}

const DEFAULT_MAX_FRAGMENT = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Fragment parsing (also used by repomd_xml.ts)

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

// ---------------------------------------------------------------------------------------------
// Streams

function bad(options: ReadMetadataOptions, reason: string, cause?: unknown): MkrepoError {
  return new MkrepoError({ code: "malformed-index", key: options.key, reason, cause });
}

function zstdStream(): TransformStream<Uint8Array, Uint8Array> {
  const z = createZstdDecompress();
  return new TransformStream({
    start(controller) {
      z.on("data", (d: Uint8Array) => controller.enqueue(new Uint8Array(d)));
    },
    transform(chunk) {
      return new Promise<void>((resolve, reject) => {
        z.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        z.once("end", resolve);
        z.once("error", reject);
        z.end();
      });
    },
  });
}

/** Detects the compression from the magic bytes and returns the decompressed byte stream. */
export async function openMetadataStream(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): Promise<{ format: MetadataFormat; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let have = 0;
  while (have < 6) {
    const { value, done } = await reader.read();
    if (done) break;
    head.push(value);
    have += value.length;
  }
  const first = new Uint8Array(have);
  head.reduce((at, c) => (first.set(c, at), at + c.length), 0);
  const replay = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length) controller.enqueue(first);
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const is = (...bytes: number[]) => bytes.every((b, i) => first[i] === b);
  let format: MetadataFormat = "plain";
  if (is(0x1f, 0x8b)) format = "gzip";
  else if (is(0x28, 0xb5, 0x2f, 0xfd)) format = "zstd";
  else if (is(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) format = "xz";
  else if (is(0x42, 0x5a, 0x68)) format = "bzip2";
  if (format === "plain") return { format, stream: replay };
  if (format === "gzip") {
    return {
      format,
      stream: replay.pipeThrough(
        new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
      ),
    };
  }
  if (format === "zstd") return { format, stream: replay.pipeThrough(zstdStream()) };
  if (!options.decompress) {
    await replay.cancel();
    throw new MkrepoError({
      code: "malformed-index",
      key: options.key,
      reason: `${format}-compressed repodata needs a decompressor`,
      hint: "pass options.decompress, or regenerate the repodata with gzip",
    });
  }
  return { format, stream: options.decompress(replay, format) };
}

/** Root element of each metadata type. */
const ROOTS = { primary: "metadata", filelists: "filelists", other: "otherdata" } as const;
type Kind = keyof typeof ROOTS;

/**
 * Splits the (decompressed) text of a metadata file into `<package>` fragments as it streams.
 * Fails when the root element is not the expected one or the document ends early.
 */
export async function* splitPackages(
  bytes: ReadableStream<Uint8Array>,
  kind: Kind,
  options: ReadMetadataOptions,
): AsyncGenerator<string> {
  const root = ROOTS[kind];
  const max = options.maxFragment ?? DEFAULT_MAX_FRAGMENT;
  const START = /<package[\s>]/g;
  const END = "</package>";
  let buf = "";
  let inPackage = false;
  let rootSeen = false;
  let from = 0;
  const decoder = new TextDecoder();
  const reader = bytes.getReader();
  const checkRoot = (prefix: string) => {
    if (!new RegExp(`<${root}[\\s>]`).test(prefix)) {
      throw bad(options, `not a ${kind}.xml file (no <${root}> element before the first package)`);
    }
    rootSeen = true;
  };
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw bad(options, `cannot decompress: ${err instanceof Error ? err.message : err}`, err);
      }
      buf += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      while (true) {
        if (!inPackage) {
          START.lastIndex = from;
          const m = START.exec(buf);
          if (!m) {
            from = Math.max(0, buf.length - 9);
            if (buf.length > max) throw bad(options, `no <package> element in ${max} characters`);
            break;
          }
          if (!rootSeen) checkRoot(buf.slice(0, m.index));
          buf = buf.slice(m.index);
          inPackage = true;
          from = 0;
        }
        const end = buf.indexOf(END, from);
        if (end < 0) {
          from = Math.max(0, buf.length - END.length + 1);
          if (buf.length > max) {
            throw bad(options, `a <package> element is larger than ${max} characters`);
          }
          break;
        }
        if (end + END.length > max) {
          throw bad(options, `a <package> element is larger than ${max} characters`);
        }
        const fragment = buf.slice(0, end + END.length);
        buf = buf.slice(end + END.length);
        inPackage = false;
        from = 0;
        yield fragment;
      }
      if (chunk.done) break;
    }
    if (inPackage) throw bad(options, "the file ends inside a <package> element");
    if (!rootSeen) checkRoot(buf);
    if (!new RegExp(`</${root}\\s*>|<${root}[^>]*/>`).test(buf)) {
      throw bad(options, `the file ends before </${root}>`);
    }
  } finally {
    reader.releaseLock();
  }
}

// ---------------------------------------------------------------------------------------------
// Records

function int(value: string | undefined): number {
  const n = value === undefined ? NaN : Number(value.trim());
  return Number.isFinite(n) ? n : 0;
}

const FLAGS = new Set(["EQ", "LT", "GT", "LE", "GE"]);

function deps(format: unknown, element: string): RpmDependency[] {
  const out: RpmDependency[] = [];
  for (const e of xmlChildren(xmlChild(format, element), "rpm:entry")) {
    const dep: RpmDependency = { name: xmlAttr(e, "name") ?? "" };
    const flags = xmlAttr(e, "flags");
    if (flags && FLAGS.has(flags)) {
      dep.flags = flags as RpmDepFlags;
      for (const k of ["epoch", "ver", "rel"] as const) {
        const v = xmlAttr(e, k);
        if (v) dep[k] = v;
      }
    }
    const pre = xmlAttr(e, "pre");
    if (pre === "1" || pre === "true") dep.pre = true;
    out.push(dep);
  }
  return out;
}

function files(node: unknown): RpmFile[] {
  const out: RpmFile[] = [];
  for (const f of xmlChildren(node, "file")) {
    const path = xmlText(f);
    const type = xmlAttr(f, "type");
    // tarantool/mkrepo appended DIRNAMES ("/usr/bin/") as dirs: not packaged paths
    if (type === "dir" && path.length > 1 && path.endsWith("/")) continue;
    out.push({ path, type: type === "dir" || type === "ghost" ? type : "file" });
  }
  return out;
}

function version(node: unknown) {
  const v = xmlChild(node, "version");
  return {
    epoch: xmlAttr(v, "epoch") || "0",
    version: xmlAttr(v, "ver") ?? "",
    release: xmlAttr(v, "rel") ?? "",
  };
}

/** One primary.xml `<package>` fragment → record (files: the primary subset). */
export function primaryFromXml(fragment: string): RpmPackage {
  const p = xmlChild(parseXmlFragment(fragment), "package");
  const checksum = xmlChild(p, "checksum");
  const time = xmlChild(p, "time");
  const size = xmlChild(p, "size");
  const location = xmlChild(p, "location");
  const format = xmlChild(p, "format");
  const range = xmlChild(format, "rpm:header-range");
  const href = xmlAttr(location, "href") ?? "";
  const base = xmlAttr(location, "xml:base");
  const fileTime = int(xmlAttr(time, "file"));
  return {
    key: href,
    mtime: fileTime * 1000,
    name: xmlText(xmlChild(p, "name")),
    ...version(p),
    arch: xmlText(xmlChild(p, "arch")),
    pkgid: xmlText(checksum).trim(),
    checksumType: xmlAttr(checksum, "type") ?? "sha256",
    summary: xmlText(xmlChild(p, "summary")),
    description: xmlText(xmlChild(p, "description")),
    packager: xmlText(xmlChild(p, "packager")),
    url: xmlText(xmlChild(p, "url")),
    time: { file: fileTime, build: int(xmlAttr(time, "build")) },
    size: {
      package: int(xmlAttr(size, "package")),
      installed: int(xmlAttr(size, "installed")),
      archive: int(xmlAttr(size, "archive")),
    },
    location: { href, ...(base ? { base } : {}) },
    format: {
      license: xmlText(xmlChild(format, "rpm:license")),
      vendor: xmlText(xmlChild(format, "rpm:vendor")),
      group: xmlText(xmlChild(format, "rpm:group")),
      buildhost: xmlText(xmlChild(format, "rpm:buildhost")),
      sourcerpm: xmlText(xmlChild(format, "rpm:sourcerpm")),
      headerRange: { start: int(xmlAttr(range, "start")), end: int(xmlAttr(range, "end")) },
      provides: deps(format, "rpm:provides"),
      requires: deps(format, "rpm:requires"),
      conflicts: deps(format, "rpm:conflicts"),
      obsoletes: deps(format, "rpm:obsoletes"),
      suggests: deps(format, "rpm:suggests"),
      enhances: deps(format, "rpm:enhances"),
      recommends: deps(format, "rpm:recommends"),
      supplements: deps(format, "rpm:supplements"),
      files: files(format),
    },
    changelogs: [],
  };
}

/** Identity fields shared by filelists.xml and other.xml entries. */
export interface PackageRef {
  pkgid: string;
  name: string;
  arch: string;
  epoch: string;
  version: string;
  release: string;
}

function ref(p: unknown): PackageRef {
  return {
    pkgid: xmlAttr(p, "pkgid") ?? "",
    name: xmlAttr(p, "name") ?? "",
    arch: xmlAttr(p, "arch") ?? "",
    ...version(p),
  };
}

/** One filelists.xml `<package>` fragment → identity + all files. */
export function filelistsFromXml(fragment: string): PackageRef & { files: RpmFile[] } {
  const p = xmlChild(parseXmlFragment(fragment), "package");
  return { ...ref(p), files: files(p) };
}

/** One other.xml `<package>` fragment → identity + changelogs. */
export function otherFromXml(fragment: string): PackageRef & { changelogs: RpmChangelogEntry[] } {
  const p = xmlChild(parseXmlFragment(fragment), "package");
  const changelogs = xmlChildren(p, "changelog").map((c) => ({
    author: xmlAttr(c, "author") ?? "",
    date: int(xmlAttr(c, "date")),
    text: xmlText(c),
  }));
  return { ...ref(p), changelogs };
}

async function* readKind<T>(
  stream: ReadableStream<Uint8Array>,
  kind: Kind,
  parse: (fragment: string) => T,
  options: ReadMetadataOptions,
): AsyncGenerator<T> {
  const opened = await openMetadataStream(stream, options);
  let n = 0;
  for await (const fragment of splitPackages(opened.stream, kind, options)) {
    n++;
    try {
      yield parse(fragment);
    } catch (err) {
      if (err instanceof MkrepoError) throw err;
      throw bad(
        options,
        `package ${n} cannot be parsed: ${err instanceof Error ? err.message : err}`,
        err,
      );
    }
  }
}

/** Streams the packages of a primary.xml[.gz|.zst] file (files: the primary subset only). */
export function readPrimary(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): AsyncGenerator<RpmPackage> {
  return readKind(stream, "primary", primaryFromXml, options);
}

/** Streams the entries of a filelists.xml file. */
export function readFilelists(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): AsyncGenerator<PackageRef & { files: RpmFile[] }> {
  return readKind(stream, "filelists", filelistsFromXml, options);
}

/** Streams the entries of an other.xml file. */
export function readOther(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): AsyncGenerator<PackageRef & { changelogs: RpmChangelogEntry[] }> {
  return readKind(stream, "other", otherFromXml, options);
}

/** Streams of one repository's metadata files with their keys; filelists and other are optional. */
export interface RepodataStreams {
  primary: { stream: ReadableStream<Uint8Array>; key: string };
  filelists?: { stream: ReadableStream<Uint8Array>; key: string };
  other?: { stream: ReadableStream<Uint8Array>; key: string };
}

/**
 * Reads a repository's primary, then merges the full file lists (filelists) and changelogs
 * (other) into the records by pkgid (the n-th entry of an id goes to the n-th package with it).
 * Packages that filelists does not list keep the primary subset of their files.
 */
export async function readRepodata(
  files: RepodataStreams,
  options: Omit<ReadMetadataOptions, "key"> = {},
): Promise<RpmPackage[]> {
  const packages: RpmPackage[] = [];
  const byId = new Map<string, RpmPackage[]>();
  for await (
    const pkg of readPrimary(files.primary.stream, { ...options, key: files.primary.key })
  ) {
    packages.push(pkg);
    const list = byId.get(pkg.pkgid);
    if (list) list.push(pkg);
    else byId.set(pkg.pkgid, [pkg]);
  }
  await mergeRepodata(packages, files, options);
  return packages;
}

/**
 * Merges the full file lists (filelists) and changelogs (other) into records read from primary,
 * by pkgid (the n-th entry of an id goes to the n-th package with it).
 */
export async function mergeRepodata(
  packages: readonly RpmPackage[],
  files: Omit<RepodataStreams, "primary">,
  options: Omit<ReadMetadataOptions, "key"> = {},
): Promise<void> {
  const byId = new Map<string, RpmPackage[]>();
  for (const pkg of packages) {
    const list = byId.get(pkg.pkgid);
    if (list) list.push(pkg);
    else byId.set(pkg.pkgid, [pkg]);
  }
  const take = (pos: Map<string, number>, id: string) => {
    const i = pos.get(id) ?? 0;
    pos.set(id, i + 1);
    return byId.get(id)?.[i];
  };
  if (files.filelists) {
    const pos = new Map<string, number>();
    const fopts = { ...options, key: files.filelists.key };
    for await (const entry of readFilelists(files.filelists.stream, fopts)) {
      const pkg = take(pos, entry.pkgid);
      if (pkg) pkg.format.files = entry.files;
    }
  }
  if (files.other) {
    const pos = new Map<string, number>();
    for await (const entry of readOther(files.other.stream, { ...options, key: files.other.key })) {
      const pkg = take(pos, entry.pkgid);
      if (pkg) pkg.changelogs = entry.changelogs;
    }
  }
}
