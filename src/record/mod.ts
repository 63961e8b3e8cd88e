/**
 * Stage `record/`: the plain typed records every other stage passes around — `DebPackage`,
 * `DebSource`, `RpmPackage`, `Checksums` (with the digest lists: HASH_NAMES, DEFAULT_DEB_HASHES)
 * — and the pure rules on them: deb822 text (deb822.ts; streams of paragraphs, deb822_stream.ts;
 * file lists, deb822_file_lists.ts), clear-signed text (clear_signed.ts), field checks, version
 * orders (deb_version.ts, rpm_evr.ts), repository settings, the cleanup record
 * (cleanup_record.ts).
 *
 * May import: ground only (`util/`, `errors.ts`). Imported by every stage.
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
