/**
 * Packages as published repodata holds them, in a compact form: the fields the planner,
 * retention and the sort need, and the raw `<package>` fragments of primary, filelists and
 * other. The full record is parsed only when asked for, and a fragment that is exactly what the
 * writer would produce for that record (canonical_xml.ts) is written back as it is, so an
 * unchanged run parses no record and a run that adds one rewrites the others without parsing
 * or formatting them.
 * @module
 */
import type { RpmChangelogEntry, RpmFile, RpmPackage } from "../../record/rpm_package.ts";
import { canonicalFilelists, canonicalOther, canonicalPrimary } from "./canonical_xml.ts";
import { ownString as own } from "../../util/own_string.ts";
import { packageIdentity } from "./filelists_xml.ts";
import {
  filelistsFromXml,
  otherFromXml,
  pkgidMatcher,
  primaryFromXml,
  readFragments,
  type ReadMetadataOptions,
} from "./read_metadata.ts";

const decoder = new TextDecoder();

/** A fragment the writer would write back as it is; `files`: its primary file entries. */
interface Verbatim {
  bytes: Uint8Array;
  files?: string;
}

/** One package of the published repodata. */
export class PublishedRpmPackage {
  /** Location href, the package's storage key. */
  readonly key: string;
  /** `time file` × 1000. */
  readonly mtime: number;
  readonly name: string;
  readonly epoch: string;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
  readonly pkgid: string;
  readonly location: { href: string; base?: string };
  /** `time file`, in seconds. */
  readonly fileTime: number;
  /** `size package`. */
  readonly packageSize: number;
  readonly #primary: Uint8Array;
  /** Primary file entries when the primary fragment is canonical. */
  readonly #primaryFiles?: string;
  /** The primary fragment parsed (right away when it is not canonical). */
  #parsed?: RpmPackage;
  #record?: RpmPackage;
  #filelists?: Verbatim | RpmFile[];
  #other?: Verbatim | RpmChangelogEntry[];

  /** From a primary.xml fragment (bytes) and its text. */
  constructor(primary: Uint8Array, text: string) {
    this.#primary = primary;
    const head = canonicalPrimary(text);
    const p = head ?? (this.#parsed = primaryFromXml(text));
    if (head) {
      this.#primaryFiles = head.files;
      this.location = head.base === undefined
        ? { href: own(head.href) }
        : { href: own(head.href), base: own(head.base) };
      this.fileTime = head.fileTime;
      this.packageSize = head.packageSize;
    } else {
      this.location = this.#parsed!.location;
      this.fileTime = this.#parsed!.time.file;
      this.packageSize = this.#parsed!.size.package;
    }
    this.name = own(p.name);
    this.epoch = own(p.epoch);
    this.version = own(p.version);
    this.release = own(p.release);
    this.arch = own(p.arch);
    this.pkgid = own(p.pkgid);
    this.key = this.location.href;
    this.mtime = this.fileTime * 1000;
  }

  /** Takes this package's filelists.xml entry (its fragment and text). */
  setFilelists(bytes: Uint8Array, text: string, files?: string): void {
    this.#filelists = files !== undefined && text.startsWith(packageIdentity(this))
      ? { bytes, files }
      : filelistsFromXml(text).files;
  }

  /** Takes this package's other.xml entry (its fragment and text). */
  setOther(bytes: Uint8Array, text: string, canonical: boolean): void {
    this.#other = canonical && text.startsWith(packageIdentity(this))
      ? { bytes }
      : otherFromXml(text).changelogs;
  }

  /** The full record, as read_metadata.ts's primaryFromXml and its siblings make it. */
  record(): RpmPackage {
    if (this.#record) return this.#record;
    const p = this.#parsed ?? primaryFromXml(decoder.decode(this.#primary));
    const fl = this.#filelists, other = this.#other;
    if (fl) {
      p.format.files = Array.isArray(fl) ? fl : filelistsFromXml(decoder.decode(fl.bytes)).files;
    }
    if (other) {
      p.changelogs = Array.isArray(other)
        ? other
        : otherFromXml(decoder.decode(other.bytes)).changelogs;
    }
    this.#parsed = undefined;
    return this.#record = p;
  }

  /**
   * The `<package>` element of `type` exactly as the writer would write record() (without its
   * final newline), or undefined when it has to be written from the record.
   */
  verbatim(type: "primary" | "filelists" | "other"): Uint8Array | undefined {
    if (type === "filelists") {
      return Array.isArray(this.#filelists) ? undefined : this.#filelists?.bytes;
    }
    if (type === "other") return Array.isArray(this.#other) ? undefined : this.#other?.bytes;
    if (this.#primaryFiles === undefined) return undefined;
    const fl = this.#filelists;
    // primary lists the primary subset of filelists' files
    if (fl === undefined || (!Array.isArray(fl) && fl.files === this.#primaryFiles)) {
      return this.#primary;
    }
    return undefined;
  }
}

/** Reads a primary.xml[.gz|.zst|…] into compact records, in file order. */
export function readPublishedPrimary(
  stream: ReadableStream<Uint8Array>,
  options: ReadMetadataOptions,
): Promise<PublishedRpmPackage[]> {
  return Array.fromAsync(
    readFragments(
      stream,
      "primary",
      (bytes, text) => new PublishedRpmPackage(bytes, text),
      options,
    ),
  );
}

/**
 * Gives each package its filelists and other entries, matched by pkgid (the n-th entry of an
 * id goes to the n-th package with it).
 */
export async function attachRepodata(
  packages: readonly PublishedRpmPackage[],
  files: {
    filelists?: { stream: ReadableStream<Uint8Array>; key: string };
    other?: { stream: ReadableStream<Uint8Array>; key: string };
  },
  options: Omit<ReadMetadataOptions, "key"> = {},
): Promise<void> {
  const matcher = pkgidMatcher(packages);
  if (files.filelists) {
    const take = matcher();
    const each = (bytes: Uint8Array, text: string) => {
      const head = canonicalFilelists(text);
      take(head?.pkgid ?? filelistsFromXml(text).pkgid)?.setFilelists(
        bytes,
        text,
        head?.files,
      );
    };
    const fopts = { ...options, key: files.filelists.key };
    for await (const _ of readFragments(files.filelists.stream, "filelists", each, fopts));
  }
  if (files.other) {
    const take = matcher();
    const each = (bytes: Uint8Array, text: string) => {
      const head = canonicalOther(text);
      take(head?.pkgid ?? otherFromXml(text).pkgid)?.setOther(bytes, text, head !== undefined);
    };
    const oopts = { ...options, key: files.other.key };
    for await (const _ of readFragments(files.other.stream, "other", each, oopts));
  }
}
