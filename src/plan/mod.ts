/**
 * Stage `plan/`: what a run is about to do. The published state read back (published_deb.ts,
 * published_rpm.ts), one planner for both formats — new, changed, kept, gone
 * (package_plan.ts) — and what the lifecycle takes out of the index (lifecycle.ts: pending
 * files, `mkrepo remove`, retention.ts). Also where a package file belongs (pool_path.ts), the
 * repository kind (layout.ts) and which keys can be indexed (package_key.ts).
 *
 * May import: `storage/` (to read the published state), `index/` (to parse it), `record/` and
 * ground; not `reader/`, `sign/`, `publish/`, `repo/` or `cli/`.
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
