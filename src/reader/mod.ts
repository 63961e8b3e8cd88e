/**
 * Stage `reader/`: package files → records, in one streaming pass that hashes every byte once.
 * `deb/` (ar, control.tar, .deb and .dsc) and `rpm/` (lead, headers, tags → RpmPackage) read
 * from a `ByteReader` (byte_reader.ts) over a byte source (util/byte_source.ts): a stream (or a
 * small file's bytes read at once), plus the local file behind it when the storage has one, so
 * long stretches (payloads) are hashed from the file by the hash workers instead of being pulled
 * through the main thread.
 * hashing.ts is the front of the hashing (in place for small packages, else a job on the worker
 * pool: hash_jobs.ts, hash_pool.ts, hash_worker.ts).
 *
 * May import: `record/` and ground (`util/`, `errors.ts`). Never `storage/` (not even its
 * types), `index/`, `plan/`, `publish/`, `sign/`, `repo/`, `cli/`; and no file here opens a file
 * (`Deno.open`): what a reader reads is given to it (tests/unit/structure/imports_test.ts).
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
