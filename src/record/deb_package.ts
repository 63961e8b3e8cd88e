/**
 * Debian records: the meeting point between the .deb/.dsc readers and the index writers.
 * @module
 */
import type { Checksums } from "./checksums.ts";

/** A deb822 field: name as written (case kept) and value (continuation lines joined with "\n"). */
export type Deb822Field = [name: string, value: string];

/** Kind of a binary package, from its file extension. */
export type DebKind = "deb" | "udeb" | "ddeb";

/** The Debian file kind a name ends in (.deb, .udeb, .ddeb, .dsc), or undefined for others. */
export function debFileKind(name: string): DebKind | "dsc" | undefined {
  const m = /\.(deb|udeb|ddeb|dsc)$/.exec(name);
  return m ? (m[1] as DebKind | "dsc") : undefined;
}

/** The binary package kind a file name implies: .udeb, .ddeb, else deb. */
export function debKindOf(name: string): DebKind {
  const kind = debFileKind(name);
  return kind === "udeb" || kind === "ddeb" ? kind : "deb";
}

/** One binary package (.deb, .udeb, .ddeb) as it appears in a Packages index. */
export interface DebPackage {
  /** Storage key of the file, relative to the repository root ("pool/main/h/hello_2.10-3_amd64.deb"). */
  key: string;
  kind: DebKind;
  /** Control fields in the order the package's control file has them (no Filename/Size/hashes). */
  control: Deb822Field[];
  /** Package, Version and Architecture, taken from `control`. */
  name: string;
  version: string;
  architecture: string;
  /** Size and digests of the whole file. */
  checksums: Checksums;
  /** Size and mtime/etag of the object when it was read, to detect changes without reading. */
  mtime: number;
  etag?: string;
}

/** One file of a source package, as listed in Files/Checksums-* of the Sources index. */
export interface DebSourceFile {
  name: string;
  checksums: Checksums;
}

/** One source package (.dsc) as it appears in a Sources index. */
export interface DebSource {
  /** Storage key of the .dsc file. */
  key: string;
  /** Fields of the .dsc (signature armour stripped; Files/Checksums-* removed), in order. */
  control: Deb822Field[];
  name: string;
  version: string;
  /** The .dsc itself first, then the files it lists, with checksums as the .dsc declares them. */
  files: DebSourceFile[];
  mtime: number;
  etag?: string;
}
