/**
 * Stage `repo/`: the wiring. update.ts lists a storage, resolves the settings and runs the
 * Debian (update_deb.ts) or RPM (update_rpm.ts) updater: read the published state and plan
 * (plan/) → read the new packages (read_changed.ts, through `readSource`) → apply the lifecycle
 * (deb_lifecycle.ts, rpm_lifecycle.ts) → build the indexes (deb_dist.ts; index/) → plan the
 * next generation (publish/) → publish (publish_run.ts). verify.ts checks a published
 * repository.
 *
 * May import: every stage but `cli/`.
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
