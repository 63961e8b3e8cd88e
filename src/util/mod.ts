/**
 * Ground level (`util/`, with `src/errors.ts`): primitives every stage may use — byte helpers,
 * one bounded pool (bounded_pool.ts), buffer pool and memory budgets, the `Compression` type
 * (compression.ts) and one `decompress` with output caps (decompress.ts, over the slicing and
 * node:zlib bridge of decoder_streams.ts), in-memory hashing (multi_hasher.ts), byte sources and
 * local file ranges (byte_source.ts, local_file.ts), and a full garbage collection between phases
 * (collect_garbage.ts).
 *
 * May import: nothing of the stages (`record/` for types only: they vanish at run time).
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
