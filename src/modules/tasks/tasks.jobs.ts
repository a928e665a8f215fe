/** The recurring jobs of the tasks module. */
import type { ResourceStore } from '../../fhir/store/store.js';
import type { JobDefinition } from '../../platform/jobs/scheduler.js';
import { escalateOverdue } from './escalation.service.js';

/** Every 15 minutes: an overdue task is noticed within a quarter hour, cheap enough for any size. */
export function taskJobs(store: ResourceStore): JobDefinition[] {
  return [
    {
      name: 'tasks-escalate-overdue',
      intervalMs: 15 * 60 * 1000,
      run: (now) => escalateOverdue(store, now),
    },
  ];
}
