/**
 * Builds small ar archives, tar archives and .deb files in memory for the reader tests, so that
 * each structural defect can be made on purpose (hostile sizes, bad checksums, odd names).
 * @module
 */
import { concatBytes } from "../../../src/util/bytes.ts";
import { gzipSync, zstdCompressSync } from "node:zlib";

const encoder = new TextEncoder();

/** Concatenates byte arrays. */
export const concat = concatBytes;

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + " ".repeat(width - text.length);
}

/** A 60-byte ar member header; `size` is written as given (a string allows hostile values). */
export function arHeader(name: string, size: number | string, fmag = "`\n"): Uint8Array {
  const text = pad(name, 16) + pad("0", 12) + pad("0", 6) + pad("0", 6) + pad("100644", 8) +
    pad(String(size), 10) + fmag;
  return encoder.encode(text);
}

/** One ar member: header, data, and the pad byte after odd-sized data. */
export function arMember(name: string, data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const parts = [arHeader(name, bytes.length), bytes];
  if (bytes.length % 2 === 1) parts.push(encoder.encode("\n"));
  return concat(parts);
}

/** An ar archive of the given members (name → data), in order. */
export function arArchive(members: readonly [string, Uint8Array | string][]): Uint8Array {
  return concat([encoder.encode("!<arch>\n"), ...members.map(([n, d]) => arMember(n, d))]);
}

/** A 512-byte ustar header with a valid checksum unless `badChecksum`. */
export function tarHeader(
  name: string,
  size: number,
  options: { type?: string; badChecksum?: boolean } = {},
): Uint8Array {
  const block = new Uint8Array(512);
  const put = (offset: number, text: string) => block.set(encoder.encode(text), offset);
  put(0, name);
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, size.toString(8).padStart(11, "0") + "\0");
  put(136, "00000000000\0");
  put(148, "        ");
  put(156, options.type ?? "0");
  put(257, "ustar\0");
  put(263, "00");
  let sum = 0;
  for (const b of block) sum += b;
  if (options.badChecksum) sum += 1;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** A tar archive of regular files (name → content), ended by two zero blocks. */
export function tarArchive(files: readonly [string, string | Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, content] of files) {
    const data = typeof content === "string" ? encoder.encode(content) : content;
    parts.push(tarHeader(name, data.length), data, new Uint8Array((512 - data.length % 512) % 512));
  }
  parts.push(new Uint8Array(1024));
  return concat(parts);
}

/** A minimal valid control file. */
export const CONTROL = "Package: demo\nVersion: 1.0-1\nArchitecture: amd64\n" +
  "Maintainer: Someone <someone@example.org>\nDescription: demo package\n a demo\n";

/** A .deb with the given control text, control.tar compression and data member. */
export function makeDeb(
  options: {
    control?: string;
    compression?: "none" | "gzip" | "zstd";
    controlTar?: Uint8Array;
    data?: Uint8Array;
  } = {},
): Uint8Array {
  const tar = options.controlTar ??
    tarArchive([["./", ""], ["./control", options.control ?? CONTROL], ["./md5sums", ""]]);
  const compression = options.compression ?? "gzip";
  const member = compression === "gzip"
    ? ["control.tar.gz", gzipSync(tar)] as const
    : compression === "zstd"
    ? ["control.tar.zst", zstdCompressSync(tar)] as const
    : ["control.tar", tar] as const;
  return arArchive([
    ["debian-binary", "2.0\n"],
    [member[0], new Uint8Array(member[1])],
    ["data.tar.xz", options.data ?? new Uint8Array([1, 2, 3])],
  ]);
}

/** A stream over bytes, in chunks of `chunk` bytes. */
export function streamOf(bytes: Uint8Array, chunk = 1 << 20): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}
