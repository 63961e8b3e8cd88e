/**
 * A binary package (.deb, .udeb, .ddeb) stream → DebPackage, in one pass: every byte is hashed
 * as it goes by; debian-binary is checked; control.tar.{gz,xz,zst} (or plain) is decompressed and
 * its `control` file parsed; data.tar.* is only hashed, never decompressed nor held in memory.
 * Member order follows dpkg: debian-binary, control.tar*, data.tar*; members whose name starts
 * with "_" are ignored, as are members after data.tar.
 * @module
 */
import { MkrepoError } from "../../errors.ts";
import { type Checksums, DEFAULT_DEB_HASHES, type HashName } from "../../record/checksums.ts";
import { type DebKind, debKindOf, type DebPackage } from "../../record/deb_package.ts";
import { parseParagraph, requiredField } from "../../record/deb822.ts";
import {
  debArchitectureProblem,
  debNameProblem,
  debVersionProblem,
} from "../../record/deb_fields.ts";
import { ByteReader } from "../byte_reader.ts";
import { type ByteSource, byteSource } from "../../util/byte_source.ts";
import {
  compressionOf,
  decompress,
  decompressAtOnce,
  lowMemoryBound,
} from "../../util/decompress.ts";
import { decodeBudget, type MemoryBudget } from "../../util/memory_budget.ts";
import { packageHasher } from "../hashing.ts";
import { readArMagic, readArMembers } from "./ar.ts";
import { controlFromTarBytes, readControlFromTar } from "./control_tar.ts";

/** Options of readDeb. */
export interface ReadDebOptions {
  /** Storage key of the file; it becomes DebPackage.key and is named in errors. */
  key: string;
  /** Package kind; by default taken from the key's extension. */
  kind?: DebKind;
  /** Digests to compute over the whole file (default md5 and sha256). */
  hashes?: readonly HashName[];
  /** mtime (ms since the epoch) and etag of the object, recorded to detect changes. */
  mtime?: number;
  etag?: string;
  /** Largest compressed control.tar accepted (default 64 MiB). */
  maxControlTarSize?: number;
  /** Largest decompressed control.tar accepted (default 256 MiB). */
  maxControlTarOutput?: number;
  /** Largest control file accepted (default 4 MiB). */
  maxControlSize?: number;
  /** Budget the control.tar decoding reserves its memory in (default: the process-wide one). */
  budget?: MemoryBudget;
}

const DATA_SUFFIXES = new Set(["", ".gz", ".xz", ".zst", ".bz2", ".lzma"]);
const MAX_DEBIAN_BINARY = 1024;
const MAX_CONTROL_SIZE = 4 * 1024 * 1024;
/**
 * Largest decompressed control.tar decoded into one buffer and read from it (almost all of them:
 * the control file, md5sums and maintainer scripts); a larger one is read as a stream.
 */
const AT_ONCE = 1024 * 1024;

/**
 * Reads a binary package from a stream (consumed to its end) into a DebPackage; of a source that
 * names its local file, the data member is hashed from the file.
 */
export async function readDeb(
  input: ReadableStream<Uint8Array> | ByteSource,
  options: ReadDebOptions,
): Promise<DebPackage> {
  const { key } = options;
  const hasher = packageHasher(
    options.hashes ?? DEFAULT_DEB_HASHES,
    byteSource(input).file !== undefined,
  );
  const maxControlTar = options.maxControlTarSize ?? 64 * 1024 * 1024;
  const reader = new ByteReader(input, {
    key,
    onChunk: (chunk, owned) => hasher.update(chunk, owned),
    hashFile: (path, offset, length) => hasher.updateFromFile(path, offset, length),
    maxRead: Math.max(maxControlTar, MAX_DEBIAN_BINARY),
  });
  const malformed = (reason: string, offset?: number) =>
    new MkrepoError({ code: "malformed-package", key, offset, reason });
  try {
    await readArMagic(reader);
    let step: "start" | "control" | "data" | "done" = "start";
    let controlText: string | undefined;
    for await (const member of readArMembers(reader)) {
      const { name, size, dataOffset } = member;
      if (step === "done") continue;
      if (name === "debian-binary") {
        if (step !== "start") throw malformed("debian-binary is not the first member", dataOffset);
        if (size > MAX_DEBIAN_BINARY) {
          throw malformed(`debian-binary of ${size} bytes is too large`, dataOffset);
        }
        const text = new TextDecoder("latin1").decode(await reader.readExact(size, name));
        if (!/^2\.[0-9]+\n/.test(text)) {
          const version = JSON.stringify(text.split("\n")[0].slice(0, 20));
          throw malformed(
            `unsupported package format ${version} in debian-binary (expected 2.0)`,
            dataOffset,
          );
        }
        step = "control";
      } else if (name.startsWith("control.tar")) {
        const compression = compressionOf(name, "control.tar", { key });
        if (step === "start") throw malformed(`first member is ${name}, not debian-binary`);
        if (step !== "control") throw malformed(`unexpected ${name} after the control member`);
        if (size > maxControlTar) {
          throw malformed(
            `${name} of ${size} bytes is larger than the ${maxControlTar}-byte limit`,
            dataOffset,
          );
        }
        // What this member may hold at once (its bytes, the decoder, the control file) is
        // reserved in the process-wide budget first: memory stays bounded at any concurrency.
        const release = await (options.budget ?? decodeBudget).reserve(
          size + lowMemoryBound(compression) + (options.maxControlSize ?? MAX_CONTROL_SIZE),
        );
        try {
          const bytes = await reader.readExact(size, name);
          const decoding = {
            key,
            name,
            maxOutput: options.maxControlTarOutput ?? 256 * 1024 * 1024,
            lowMemory: true,
          };
          const tarOptions = {
            key,
            member: name,
            maxControlSize: options.maxControlSize ?? MAX_CONTROL_SIZE,
          };
          const whole = await decompressAtOnce(bytes, compression, AT_ONCE, decoding);
          controlText = whole
            ? await controlFromTarBytes(whole, tarOptions)
            : await readControlFromTar(
              decompress(ReadableStream.from([bytes]), compression, decoding),
              tarOptions,
            );
        } finally {
          release();
        }
        step = "data";
      } else if (name.startsWith("data.tar")) {
        if (!DATA_SUFFIXES.has(name.slice("data.tar".length))) {
          throw malformed(`${name}: unknown compression`, dataOffset);
        }
        if (step === "start") throw malformed(`first member is ${name}, not debian-binary`);
        if (step === "control") throw malformed(`no control.tar member before ${name}`);
        step = "done"; // its bytes are skipped (and hashed) by readArMembers
      } else if (!name.startsWith("_")) {
        if (step === "start") {
          throw malformed(`first member is "${name}", not debian-binary: not a Debian package`);
        }
        throw malformed(`unexpected member "${name}"`, dataOffset);
      }
    }
    if (step === "start") throw malformed("no debian-binary member: not a Debian package");
    if (step === "control") throw malformed("no control.tar member");
    if (step === "data") throw malformed("no data.tar member");
    await reader.skipToEnd();
    return debPackage(key, controlText!, options, await hasher.digest());
  } catch (e) {
    hasher.abort();
    await reader.cancel();
    if (e instanceof MkrepoError) throw e;
    throw new MkrepoError({
      code: "malformed-package",
      key,
      offset: reader.offset,
      reason: `unexpected error (${e instanceof Error ? e.message : String(e)})`,
      cause: e,
    });
  }
}

function debPackage(
  key: string,
  text: string,
  options: ReadDebOptions,
  checksums: Checksums,
): DebPackage {
  const control = parseParagraph(text, { key, what: "control file" });
  const required = (field: string) => requiredField(control, field, { key, what: "control file" });
  const name = required("Package");
  const version = required("Version");
  const architecture = required("Architecture");
  // these become index paths (binary-<arch>/), Release fields and sort keys
  const problem = debNameProblem(name) ?? debVersionProblem(version) ??
    debArchitectureProblem(architecture);
  if (problem) throw new MkrepoError({ code: "malformed-package", key, reason: problem });
  const pkg: DebPackage = {
    key,
    kind: options.kind ?? debKindOf(key),
    control,
    name,
    version,
    architecture,
    checksums,
    mtime: options.mtime ?? 0,
  };
  if (options.etag !== undefined) pkg.etag = options.etag;
  return pkg;
}
