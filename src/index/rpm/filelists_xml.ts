/**
 * filelists.xml as createrepo_c writes it (src/xml_dump_filelists.c): one `<package>` chunk per
 * package with every packaged path, between filelistsHeader() and filelistsFooter().
 * @module
 */
import type { RpmPackage } from "../../record/rpm_package.ts";
import { fileLines } from "./primary_xml.ts";
import { escapeXmlAttr as attr } from "./xml_text.ts";

/** Namespace of filelists.xml. */
export const FILELISTS_NS = "http://linux.duke.edu/metadata/filelists";

/** XML declaration and opening `<filelists>` element. */
export function filelistsHeader(count: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="${FILELISTS_NS}" packages="${count}">\n`;
}

/** Closing `</filelists>` (createrepo_c writes no final newline). */
export function filelistsFooter(): string {
  return "</filelists>";
}

/** `<package pkgid name arch>` opening line and `<version>` line, shared with other.xml. */
export function packageIdentity(
  pkg: Pick<RpmPackage, "pkgid" | "name" | "arch" | "epoch" | "version" | "release">,
): string {
  return `<package pkgid="${attr(pkg.pkgid)}" name="${attr(pkg.name)}" arch="${attr(pkg.arch)}">
  <version epoch="${attr(pkg.epoch)}" ver="${attr(pkg.version)}" rel="${attr(pkg.release)}"/>
`;
}

/** The `<package>` chunk of one package, with its trailing newline. */
export function filelistsPackage(pkg: RpmPackage): string {
  return `${packageIdentity(pkg)}${fileLines(pkg.format.files, "  ")}</package>\n`;
}
