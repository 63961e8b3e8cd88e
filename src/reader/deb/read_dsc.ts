/**
 * A Debian source control file (.dsc) stream → DebSource: the PGP clear-sign armour is removed
 * (dash-escaping undone), the paragraph parsed, and Files / Checksums-Sha1 / -Sha256 / -Sha512
 * collected into `files`, the .dsc itself first with the digests computed while it was read.
 * The other files keep the digests the .dsc declares; a digest it does not declare (often
 * SHA512) must be computed from those files by the caller if the index needs it.
 * @module
 */
import { concatBytes } from "../../util/bytes.ts";
import { hasControlCharacter, MkrepoError } from "../../errors.ts";
import { DEFAULT_DEB_HASHES, type HashName } from "../../record/checksums.ts";
import type { DebSource } from "../../record/deb_package.ts";
import { debNameProblem, debVersionProblem } from "../../record/deb_fields.ts";
import { type Deb822Field, parseParagraph, requiredField } from "../../record/deb822.ts";
import { fileListHash, parseFileLists } from "../../record/deb822_file_lists.ts";
import { MultiHasher } from "../../util/multi_hasher.ts";
import { stripClearSign } from "../../record/clear_signed.ts";

/** Options of readDsc. */
export interface ReadDscOptions {
  /** Storage key of the .dsc; its base name is the first entry of `files`. */
  key: string;
  /** Digests to compute over the .dsc itself (default md5 and sha256). */
  hashes?: readonly HashName[];
  /** mtime (ms since the epoch) and etag of the object. */
  mtime?: number;
  etag?: string;
  /** Largest .dsc accepted (default 16 MiB). */
  maxSize?: number;
}

/** Reads a .dsc from a stream (consumed to its end) into a DebSource. */
export async function readDsc(
  stream: ReadableStream<Uint8Array>,
  options: ReadDscOptions,
): Promise<DebSource> {
  const { key } = options;
  const maxSize = options.maxSize ?? 16 * 1024 * 1024;
  const hasher = new MultiHasher(options.hashes ?? DEFAULT_DEB_HASHES);
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      hasher.update(value);
      if (hasher.size > maxSize) {
        throw new MkrepoError({
          code: "malformed-package",
          key,
          reason: `a .dsc larger than ${maxSize} bytes`,
        });
      }
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(concatBytes(chunks));
  } catch (cause) {
    throw new MkrepoError({ code: "malformed-package", key, reason: "not valid UTF-8", cause });
  }
  if (text.trim() === "") {
    throw new MkrepoError({ code: "malformed-package", key, reason: "empty .dsc file" });
  }
  const fields = parseParagraph(stripClearSign(text, { key }), { key, what: ".dsc" });
  return dscSource(fields, options, hasher);
}

function dscSource(
  fields: Deb822Field[],
  options: ReadDscOptions,
  hasher: MultiHasher,
): DebSource {
  const { key } = options;
  const required = (name: string) => requiredField(fields, name, { key, what: ".dsc" });
  const name = required("Source");
  const version = required("Version");
  const problem = debNameProblem(name, "Source") ?? debVersionProblem(version);
  if (problem) throw new MkrepoError({ code: "malformed-package", key, reason: problem });
  const listed = parseFileLists(fields, { key, what: ".dsc" });
  if (listed.length === 0) {
    throw new MkrepoError({ code: "malformed-package", key, reason: ".dsc lists no files" });
  }
  for (const f of listed) {
    // each listed name is looked up next to the .dsc and becomes a path in Sources
    if (
      f.name.includes("/") || f.name === "." || f.name === ".." ||
      hasControlCharacter(f.name)
    ) {
      throw new MkrepoError({
        code: "malformed-package",
        key,
        reason: `.dsc lists ${JSON.stringify(f.name)}, which is not a plain file name`,
      });
    }
  }
  const self = { name: key.slice(key.lastIndexOf("/") + 1), checksums: hasher.digest() };
  const source: DebSource = {
    key,
    control: fields.filter(([field]) => !fileListHash(field)),
    name,
    version,
    files: [self, ...listed],
    mtime: options.mtime ?? 0,
  };
  if (options.etag !== undefined) source.etag = options.etag;
  return source;
}
