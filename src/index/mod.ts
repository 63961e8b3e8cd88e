/**
 * Stage `index/`: records → index bytes, and existing index bytes → records. `deb/`: Packages and
 * Sources paragraphs, the Packages index files, Release; `rpm/`: primary, filelists, other,
 * repomd.xml, and reading published repodata back (read_metadata.ts over metadata_stream.ts and
 * xml_scanner.ts). compress.ts encodes an index in every requested compression with its stats
 * in one pass. Pure: bytes and streams in, bytes and records out.
 *
 * May import: `record/` and ground (`util/`, `errors.ts`). Never `storage/`, `reader/`, `plan/`,
 * `publish/`, `sign/`, `repo/`, `cli/` (tests/unit/structure/imports_test.ts).
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
