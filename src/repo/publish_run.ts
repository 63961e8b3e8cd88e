/**
 * Runs the publisher for a plan the updaters built, reporting each step as the run's events
 * (the plan itself with --dry-run) and turning failed cleanups into warnings.
 * @module
 */
import type { Storage } from "../storage/storage.ts";
import { publish } from "../publish/publisher.ts";
import type { PublishPlan } from "../publish/publish_plan.ts";
import type { RunEvents } from "./run_types.ts";

/** Options of publishRun(). */
export interface PublishRunOptions {
  events: RunEvents;
  dryRun?: boolean;
  publicRead?: boolean;
}

/** Publishes a plan, reporting each step (the plan itself with --dry-run). */
export async function publishRun(
  storage: Storage,
  plan: PublishPlan,
  options: PublishRunOptions,
): Promise<{ written: string[]; removed: string[] }> {
  const { events, dryRun } = options;
  return await publish(storage, plan, {
    dryRun,
    publicRead: options.publicRead,
    onWrite: (key, action) => {
      if (dryRun) events.info(`would ${action} ${key}`);
      else events.detail(`${action === "write" ? "Writing" : "Removing"}: ${key}`);
    },
    onCleanupError: (key, err) =>
      events.warn(
        `could not remove ${storage.describe(key)}, which the repository no longer uses ` +
          `(the next run removes it): ${err instanceof Error ? err.message : String(err)}`,
      ),
  });
}
