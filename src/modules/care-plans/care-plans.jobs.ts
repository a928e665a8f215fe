/** The recurring jobs of the care-plans module. */
import type { ResourceStore } from '../../fhir/store/store.js';
import type { JobDefinition } from '../../platform/jobs/scheduler.js';
import { createDueReviewTasks } from './care-plans.review.js';

/**
 * Daily: review dates are calendar dates, so one run a day finds every plan whose date has come; the
 * task is due 3 days later, so a run that is a few hours late changes nothing that matters.
 */
export function carePlanJobs(store: ResourceStore, timeZone: string): JobDefinition[] {
  return [
    {
      name: 'care-plans-review-due',
      intervalMs: 24 * 60 * 60 * 1000,
      run: async (now) => ({ created: (await createDueReviewTasks(store, now, { timeZone })).length }),
    },
  ];
}
