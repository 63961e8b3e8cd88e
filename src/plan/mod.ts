/**
 * Stage `plan/`: what a run is about to do. Where a package file belongs (pool_path.ts), the
 * repository kind (layout.ts), which keys can be indexed (package_key.ts), the published Debian
 * state read back (published_deb.ts), and what retention keeps (retention.ts).
 *
 * May import: `storage/` (to read the published state), `index/` (to parse it), `record/` and
 * ground; not `repo/` or `cli/` (the wiring sits above it).
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
