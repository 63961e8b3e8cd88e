/**
 * The text an InRelease clear signature covers, checked: shared by both signers (openpgp.js
 * and gpg) without an import cycle through signer.ts.
 * @module
 */
import { MkrepoError } from "../errors.ts";

/**
 * Checks a text to clear-sign and returns it without its final line feed, which belongs to
 * the armour (as gpg writes InRelease). Throws on CR or trailing blanks: OpenPGP clear
 * signatures do not cover trailing spaces/tabs, so the signed text would differ from the input.
 */
export function clearSignBody(text: string): string {
  const cr = text.indexOf("\r");
  if (cr >= 0) {
    throw new MkrepoError({
      code: "signing",
      reason: `the text to clear-sign has a CR at line ${
        lineOf(text, cr)
      }; InRelease needs LF line endings`,
    });
  }
  const blank = /[ \t]$/m.exec(text);
  if (blank) {
    throw new MkrepoError({
      code: "signing",
      reason: `line ${lineOf(text, blank.index)} of the text to clear-sign ends with a space or ` +
        "tab, which an OpenPGP clear signature does not cover",
      hint: "remove trailing whitespace from the values (e.g. MKREPO_DEB_DESCRIPTION)",
    });
  }
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
