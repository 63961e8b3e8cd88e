/**
 * Writes primary/filelists/other files: header, one chunk per package, footer, compressed in
 * one pass (gzip by default, xz or zstd on request) with the stats repomd.xml needs, named
 * `repodata/<sha256 of the stored file>-<type>.xml<suffix>` as createrepo_c names them.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import type { RpmPackage } from "../../record/rpm_package.ts";
import { encodeIndex } from "../compress.ts";
import { type Compression, compressionSuffix } from "../../util/compression.ts";
import type { IndexFile } from "../index_file.ts";
import { filelistsFooter, filelistsHeader, filelistsPackage } from "./filelists_xml.ts";
import { otherFooter, otherHeader, otherPackage } from "./other_xml.ts";
import { primaryFooter, primaryHeader, primaryPackage } from "./primary_xml.ts";
import { PublishedRpmPackage } from "./published_package.ts";
import type { RepomdRecord } from "./repomd_xml.ts";

/** The three metadata files mkrepo writes. */
export type MetadataType = "primary" | "filelists" | "other";

/** Compressions a metadata file can have. */
export type MetadataCompression = Exclude<Compression, "none">;

/** Options of writeMetadataFile. */
export interface MetadataFileOptions {
  /** Default "gzip". */
  compression?: MetadataCompression;
  /** Number of packages; required when `packages` is not an array. */
  count?: number;
  /** Folder of the file relative to the repository root; default "repodata". */
  dir?: string;
}

/** A written metadata file, ready to publish and to list in repomd.xml. */
export interface MetadataFile extends IndexFile {
  type: MetadataType;
  compression: MetadataCompression;
}

const writers = {
  primary: [primaryHeader, primaryPackage, primaryFooter],
  filelists: [filelistsHeader, filelistsPackage, filelistsFooter],
  other: [otherHeader, otherPackage, otherFooter],
} as const;

/** Bytes of XML handed to the encoder at once. */
const BATCH = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Gathers XML text and verbatim fragments into batches of about BATCH bytes, so the encoder
 * sees few, large writes; each batch handed out is a fresh buffer.
 */
class Batcher {
  #buf = new Uint8Array(BATCH);
  #at = 0;
  #encoder = new TextEncoder();
  /** Full batches waiting to be taken. */
  readonly full: Uint8Array[] = [];

  text(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.#at + 3 * s.length > BATCH) this.flush();
    if (3 * s.length > BATCH) this.full.push(this.#encoder.encode(s));
    else this.#at += this.#encoder.encodeInto(s, this.#buf.subarray(this.#at)).written;
  }

  /** `bytes` and a newline. */
  line(bytes: Uint8Array): void {
    if (this.#at + bytes.length + 1 > BATCH) this.flush();
    if (bytes.length + 1 > BATCH) {
      this.full.push(bytes, new Uint8Array([NEWLINE]));
      return;
    }
    this.#buf.set(bytes, this.#at);
    this.#buf[this.#at + bytes.length] = NEWLINE;
    this.#at += bytes.length + 1;
  }

  flush(): void {
    if (this.#at === 0) return;
    this.full.push(this.#buf.subarray(0, this.#at));
    this.#buf = new Uint8Array(BATCH);
    this.#at = 0;
  }
}

const contentTypes: Record<MetadataCompression, string> = {
  gzip: "application/gzip",
  xz: "application/x-xz",
  zstd: "application/zstd",
};

/**
 * Encodes one metadata file from package records (in the order given); packages read back from
 * published repodata are written from their fragments when those are exactly what the writer
 * would produce.
 */
export async function writeMetadataFile(
  type: MetadataType,
  packages:
    | Iterable<RpmPackage | PublishedRpmPackage>
    | AsyncIterable<RpmPackage | PublishedRpmPackage>,
  options: MetadataFileOptions = {},
): Promise<MetadataFile> {
  const compression = options.compression ?? "gzip";
  const count = Array.isArray(packages) ? packages.length : options.count;
  if (count === undefined) {
    throw new MkrepoError({ code: "internal", reason: `writeMetadataFile(${type}) needs a count` });
  }
  const [header, chunk, footer] = writers[type];
  let written = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const batch = new Batcher();
    batch.text(header(count!));
    for await (const pkg of packages) {
      written++;
      if (!(pkg instanceof PublishedRpmPackage)) batch.text(chunk(pkg));
      else {
        const bytes = pkg.verbatim(type);
        if (bytes) batch.line(bytes);
        else batch.text(chunk(pkg.record()));
      }
      if (batch.full.length > 0) yield* batch.full.splice(0);
    }
    batch.text(footer());
    batch.flush();
    yield* batch.full;
  }
  const { open, outputs } = await encodeIndex(chunks(), [compression], ["sha256"]);
  if (written !== count) {
    throw new MkrepoError({
      code: "internal",
      reason: `${type}.xml announced ${count} packages but got ${written}`,
    });
  }
  const stored = outputs.get(compression);
  if (!stored) {
    throw new MkrepoError({
      code: "internal",
      reason: `${compression} compression is not available on this platform`,
      hint: "use gzip compression for repodata",
    });
  }
  const dir = options.dir ?? "repodata";
  return {
    type,
    compression,
    key: `${dir}/${stored.checksums.sha256}-${type}.xml${compressionSuffix[compression]}`,
    data: stored.data,
    checksums: stored.checksums,
    open,
    contentType: contentTypes[compression],
  };
}

/** The repomd.xml record describing a written file (location relative to the repository root). */
export function metadataRecord(file: MetadataFile, timestamp: number): RepomdRecord {
  return {
    type: file.type,
    checksum: { type: "sha256", value: file.checksums.sha256! },
    openChecksum: { type: "sha256", value: file.open.sha256! },
    location: { href: file.key },
    timestamp,
    size: file.checksums.size,
    openSize: file.open.size,
  };
}
