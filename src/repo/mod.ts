/**
 * Stage `repo/`: the wiring. update.ts lists a storage, resolves the settings and runs the
 * Debian (update_deb.ts) or RPM (update_rpm.ts) updater: plan → read the new packages
 * (read_changed.ts, through `readSource`) → build the indexes → sign → publish. verify.ts checks
 * a published repository.
 *
 * May import: every stage but `cli/`.
 *
 * This file holds only this description; import the modules it names.
 * @module
 */
