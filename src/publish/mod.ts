/**
 * Stage `publish/`: writing a new generation of metadata so that every client sees a whole
 * repository — the plan and its options (publish_plan.ts); each format's next generation
 * (deb_generation.ts: by-hash copies, indexes restorable from the previous generation, Release
 * entry points; rpm_generation.ts: checksum-named files, repomd.xml and its signature) and the
 * files any generation may carry (plan_files.ts: restore, malformed_list.txt, public key); write
 * order, conditional entry points, rollback (publisher.ts); checks that a published generation
 * is whole (intact.ts); which unreferenced files to delete when (unreferenced.ts), and the
 * deletion of package files past their grace (remove_packages.ts).
 *
 * May import: `storage/`, `index/`, `sign/` (to check signatures), `plan/`, `record/` and
 * ground; not `reader/`, `repo/` or `cli/` (the wiring sits above it).
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
