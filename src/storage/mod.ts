/**
 * Stage `storage/`: where a repository lives. One narrow `Storage` interface (storage.ts: list,
 * stat, read, write, remove, describe) and two backends: local disk (fs_storage.ts, with its
 * listing in fs_list.ts, reads in fs_read.ts, atomic writes and lock in fs_write.ts) and S3
 * (s3_storage.ts, with its options in s3_options.ts, the SDK client's settings in
 * s3_client.ts, package bodies read with `fetch` in s3_fetch.ts, and its ranged parallel reads
 * in s3_ranged_read.ts, s3_part.ts and read_budget.ts). `readSource()` opens an object as a
 * reader's byte source (util/byte_source.ts): its stream (or, for a small local file, its bytes
 * read at once: `readSmall`), plus the local file behind it when the backend has one.
 *
 * May import: ground only (`util/`, `errors.ts`). Imported by the wiring (`repo/`, `cli/`) and by
 * `plan/` and `publish/`; never by `reader/`, `record/` or `index/`, which are given bytes.
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
