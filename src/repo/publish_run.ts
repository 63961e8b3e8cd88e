/**
 * Runs the publisher for a plan the updaters built, reporting each step as the run's events
 * (the plan itself with --dry-run) and turning failed cleanups into warnings; and ends a run,
 * up to date or not, the same way for both formats (finishRun).
 * @module
 */
import type { Storage } from "../storage/storage.ts";
import { publish } from "../publish/publisher.ts";
import type { PublishPlan } from "../publish/publish_plan.ts";
import { plural } from "../util/plural.ts";
import { isEmptyPlan } from "../publish/publish_plan.ts";
import type { RepoSummary, RunEvents } from "./run_types.ts";

/** Options of publishRun(). */
interface PublishRunOptions {
  events: RunEvents;
  dryRun?: boolean;
  publicRead?: boolean;
}

/** Publishes a plan, reporting each step (the plan itself with --dry-run). */
async function publishRun(
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

/** What finishRun() needs of the run. */
export interface FinishOptions extends PublishRunOptions {
  /** Location shown in the summary. */
  path: string;
  /** Called before a publication that is not only an up-to-date run's cleanup. */
  beforePublish?: (summary: RepoSummary) => Promise<void>;
}

/**
 * Ends a run: reports it up to date when the plan is empty or `summary.upToDate` is set (its
 * plan then holds only cleanup or records, published without `beforePublish`); otherwise
 * publishes the plan. The summary gets what was written and deleted.
 */
export async function finishRun(
  storage: Storage,
  plan: PublishPlan,
  summary: RepoSummary,
  options: FinishOptions,
): Promise<RepoSummary> {
  if (isEmptyPlan(plan) || summary.upToDate) {
    summary.upToDate = true;
    options.events.info(`${options.path}: up to date (${plural(summary.packages, "package")})`);
    if (isEmptyPlan(plan)) return summary;
  } else await options.beforePublish?.(summary);
  const result = await publishRun(storage, plan, options);
  summary.written = result.written;
  summary.deleted = result.removed;
  return summary;
}
