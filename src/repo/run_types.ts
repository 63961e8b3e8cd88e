/**
 * Types shared by the repository updaters and their callers: the event sink for messages and
 * progress, and the summary of one repository's run (the `--json` schema's `repos[]` entry).
 * @module
 */
import type { RepoKind } from "../plan/layout.ts";

/** Where an updater reports what it does. Library code never prints by itself. */
export interface RunEvents {
  /** A normal message ("Updating deb repository …"). */
  info(message: string): void;
  /** A detail shown with --verbose ("Adding: pool/…"). */
  detail(message: string): void;
  /** A warning (always shown). */
  warn(message: string): void;
  /** Progress of package reading. */
  progress(p: Progress): void;
}

/** Package-reading progress. */
export interface Progress {
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
}

/** A RunEvents that drops everything. */
export const silentEvents: RunEvents = {
  info() {},
  detail() {},
  warn() {},
  progress() {},
};

/** Summary of one repository's run. */
export interface RepoSummary {
  path: string;
  kind: RepoKind;
  /** Packages in the index after the run. */
  packages: number;
  /** Packages read (downloaded and parsed) this run. */
  read: number;
  /** Package bytes read this run. */
  bytesRead: number;
  /** Number of packages new in the index. */
  added: number;
  /** Number of packages that left the index. */
  removed: number;
  /** Number of packages read again because their file changed. */
  changed: number;
  /** Number of packages this run took out of the index (retention or `mkrepo remove`). */
  dropped: number;
  addedKeys: string[];
  removedKeys: string[];
  changedKeys: string[];
  /** Package files this run took out of the index; deleted once the grace period is over. */
  droppedKeys: string[];
  /** Keys of malformed packages skipped with --force. */
  malformed: string[];
  /** Keys written (or that would be, with --dry-run). */
  written: string[];
  /** Keys removed: unreferenced metadata and package files whose grace period is over. */
  deleted: string[];
  /** Settings this run changed, as "architectures: amd64 → amd64 arm64" (see mkrepo.json). */
  settingsChanged: string[];
  /** True when the published metadata was already up to date and nothing was written. */
  upToDate: boolean;
  dryRun: boolean;
}
