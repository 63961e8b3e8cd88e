/**
 * Clear-signed text (RFC 4880 §7: InRelease, signed .dsc files): the signed text without its
 * armour. One reader for both, strict where the result must be the exact signed text (a .dsc,
 * an InRelease being verified) and lenient where mkrepo only reads back what it published.
 * @module
 */
import { type ErrorCode, MkrepoError } from "../errors.ts";

const BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE = "-----END PGP SIGNATURE-----";

/** Options of stripClearSign(). */
export interface StripClearSignOptions {
  /**
   * Throw when the armour is incomplete (no signature block, no end line, text after it);
   * lenient (false) returns the text up to the signature block and drops CRs at line ends.
   * Default true.
   */
  strict?: boolean;
  /** Object key named in errors. */
  key?: string;
  /** Code of the errors (default "malformed-package"). */
  code?: ErrorCode;
}

/**
 * Removes an OpenPGP clear-sign armour and undoes its dash-escaping. Text that is not
 * clear-signed is returned unchanged. Does not verify the signature.
 */
export function stripClearSign(text: string, options: StripClearSignOptions = {}): string {
  const strict = options.strict ?? true;
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length && lines[i].trim() === "") i++;
  if (i === lines.length || lines[i].trimEnd() !== BEGIN_SIGNED) return text;
  const bad = (reason: string) =>
    new MkrepoError({ code: options.code ?? "malformed-package", key: options.key, reason });
  i++;
  while (i < lines.length && lines[i].trim() !== "") i++; // armour headers ("Hash: SHA256")
  const body: string[] = [];
  for (i++; i < lines.length; i++) {
    const line = strict ? lines[i] : lines[i].replace(/\r$/, "");
    if (line.trimEnd() === BEGIN_SIGNATURE) break;
    body.push(line.startsWith("- ") ? line.slice(2) : line);
  }
  if (strict) {
    if (i >= lines.length) throw bad("clear-signed text has no signature block");
    while (i < lines.length && lines[i].trimEnd() !== END_SIGNATURE) i++;
    if (i >= lines.length) throw bad("signature block has no end line");
    if (lines.slice(i + 1).some((line) => line.trim() !== "")) {
      throw bad("text after the end of the signature block");
    }
  }
  return body.join("\n") + "\n";
}
