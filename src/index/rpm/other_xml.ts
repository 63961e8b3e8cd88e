/**
 * other.xml as createrepo_c writes it (src/xml_dump_other.c): one `<package>` chunk per package
 * with its changelog entries, between otherHeader() and otherFooter().
 * @module
 */
import type { RpmPackage } from "../../record/rpm_package.ts";
import { packageIdentity } from "./filelists_xml.ts";
import { escapeXmlAttr as attr, escapeXmlText as text } from "./xml_text.ts";

/** Namespace of other.xml. */
export const OTHER_NS = "http://linux.duke.edu/metadata/other";

/** XML declaration and opening `<otherdata>` element. */
export function otherHeader(count: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<otherdata xmlns="${OTHER_NS}" packages="${count}">\n`;
}

/** Closing `</otherdata>` (createrepo_c writes no final newline). */
export function otherFooter(): string {
  return "</otherdata>";
}

/** The `<package>` chunk of one package, with its trailing newline. */
export function otherPackage(pkg: RpmPackage): string {
  let out = packageIdentity(pkg);
  for (const c of pkg.changelogs) {
    out += `  <changelog author="${attr(c.author)}" date="${c.date}">${text(c.text)}</changelog>\n`;
  }
  return out + "</package>\n";
}
