/**
 * primary.xml as createrepo_c writes it (src/xml_dump_primary.c through libxml2's xmlNodeDump,
 * two-space indentation): one `<package>` chunk per package, each ending with a newline, between
 * primaryHeader() and primaryFooter().
 * @module
 */
import {
  isPrimaryFile,
  type RpmDependency,
  type RpmFile,
  type RpmPackage,
} from "../../record/rpm_package.ts";
import { escapeXmlAttr as attr, escapeXmlText as text } from "./xml_text.ts";

/** Namespace of primary.xml. */
export const PRIMARY_NS = "http://linux.duke.edu/metadata/common";
/** Namespace of the rpm: elements. */
export const RPM_NS = "http://linux.duke.edu/metadata/rpm";

export { isPrimaryFile };

/** XML declaration and opening `<metadata>` element. */
export function primaryHeader(count: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="${PRIMARY_NS}" xmlns:rpm="${RPM_NS}" packages="${count}">\n`;
}

/** Closing `</metadata>` (createrepo_c writes no final newline). */
export function primaryFooter(): string {
  return "</metadata>";
}

/** `<file>` lines (shared with filelists.xml); `indent` precedes each line. */
export function fileLines(files: readonly RpmFile[], indent: string): string {
  let out = "";
  for (const f of files) {
    const type = f.type === "file" ? "" : ` type="${f.type}"`;
    out += `${indent}<file${type}>${text(f.path)}</file>\n`;
  }
  return out;
}

function depList(element: string, deps: readonly RpmDependency[], requires: boolean): string {
  if (deps.length === 0) return "";
  let body = "";
  for (const d of deps) {
    if (d.name === "") continue;
    let line = `      <rpm:entry name="${attr(d.name)}"`;
    if (d.flags) {
      line += ` flags="${d.flags}"`;
      if (d.epoch) line += ` epoch="${attr(d.epoch)}"`;
      if (d.ver) line += ` ver="${attr(d.ver)}"`;
      if (d.rel) line += ` rel="${attr(d.rel)}"`;
    }
    if (requires && d.pre) line += ` pre="1"`;
    body += line + "/>\n";
  }
  return body ? `    <${element}>\n${body}    </${element}>\n` : `    <${element}/>\n`;
}

/** The `<package>` chunk of one package, with its trailing newline. */
export function primaryPackage(pkg: RpmPackage): string {
  const f = pkg.format;
  const base = pkg.location.base ? ` xml:base="${attr(pkg.location.base)}"` : "";
  return `<package type="rpm">
  <name>${text(pkg.name)}</name>
  <arch>${text(pkg.arch)}</arch>
  <version epoch="${attr(pkg.epoch)}" ver="${attr(pkg.version)}" rel="${attr(pkg.release)}"/>
  <checksum type="${attr(pkg.checksumType)}" pkgid="YES">${text(pkg.pkgid)}</checksum>
  <summary>${text(pkg.summary)}</summary>
  <description>${text(pkg.description)}</description>
  <packager>${text(pkg.packager)}</packager>
  <url>${text(pkg.url)}</url>
  <time file="${pkg.time.file}" build="${pkg.time.build}"/>
  <size package="${pkg.size.package}" installed="${pkg.size.installed}" archive="${pkg.size.archive}"/>
  <location${base} href="${attr(pkg.location.href)}"/>
  <format>
    <rpm:license>${text(f.license)}</rpm:license>
    <rpm:vendor>${text(f.vendor)}</rpm:vendor>
    <rpm:group>${text(f.group)}</rpm:group>
    <rpm:buildhost>${text(f.buildhost)}</rpm:buildhost>
    <rpm:sourcerpm>${text(f.sourcerpm)}</rpm:sourcerpm>
    <rpm:header-range start="${f.headerRange.start}" end="${f.headerRange.end}"/>
${depList("rpm:provides", f.provides, false)}${depList("rpm:requires", f.requires, true)}${
    depList("rpm:conflicts", f.conflicts, false)
  }${depList("rpm:obsoletes", f.obsoletes, false)}${depList("rpm:suggests", f.suggests, false)}${
    depList("rpm:enhances", f.enhances, false)
  }${depList("rpm:recommends", f.recommends, false)}${
    depList("rpm:supplements", f.supplements, false)
  }${fileLines(f.files.filter((file) => isPrimaryFile(file.path)), "    ")}  </format>
</package>
`;
}
