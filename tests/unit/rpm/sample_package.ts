/**
 * Test helper: a small hand-made RpmPackage with every list filled once.
 * @module
 */
import type { RpmPackage } from "../../../src/record/rpm_package.ts";

/** A small record with every list filled once. */
export function samplePackage(overrides: Partial<RpmPackage> = {}): RpmPackage {
  return {
    key: "Packages/s/sample-1.0-1.noarch.rpm",
    mtime: 1_700_000_000_000,
    name: "sample",
    epoch: "0",
    version: "1.0",
    release: "1",
    arch: "noarch",
    pkgid: "ab".repeat(32),
    checksumType: "sha256",
    summary: "S & <s>",
    description: 'line one\nline "two"\r',
    packager: "P <p@example.org>",
    url: "https://example.org/?a=1&b=2",
    time: { file: 1_700_000_000, build: 1_600_000_000 },
    size: { package: 100, installed: 200, archive: 300 },
    location: { href: "Packages/s/sample-1.0-1.noarch.rpm" },
    format: {
      license: "MIT",
      vendor: "",
      group: "Unspecified",
      buildhost: "host",
      sourcerpm: "sample-1.0-1.src.rpm",
      headerRange: { start: 280, end: 1000 },
      provides: [{ name: "sample", flags: "EQ", epoch: "0", ver: "1.0", rel: "1" }],
      requires: [{ name: "/bin/sh", pre: true }, { name: "(a >= 1 if b)" }],
      conflicts: [],
      obsoletes: [],
      suggests: [],
      enhances: [],
      recommends: [{ name: "rec", flags: "GE", epoch: "1", ver: "2" }],
      supplements: [],
      files: [
        { path: "/etc/sample.conf", type: "file" },
        { path: "/usr/share/sample", type: "dir" },
        { path: "/usr/bin/sample", type: "file" },
        { path: "/var/log/sample.log", type: "ghost" },
      ],
    },
    changelogs: [{ author: "Jöhn <j@x> - 1.0-1", date: 1_500_000_000, text: "- a & b" }],
    ...overrides,
  };
}
