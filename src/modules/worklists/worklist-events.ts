/**
 * Live refresh of worklists: an in-process bus fed by the store's committed changes. Each open
 * `GET /api/worklist/events` stream subscribes and is sent the ids of the changed Tasks it may see
 * (the store's visibility rule, per subscriber), so a coordinator's list refreshes when a colleague
 * claims, completes or reassigns a task.
 *
 * One process only: with several server processes on one PostgreSQL, the plan is for the store
 * listener to `NOTIFY careloop_tasks, '<ids>'` after commit and for each process to `LISTEN` and feed
 * its own bus (docs/worklists.md); SQLite deployments are single-process, so the bus is enough there.
 */
import type { ResourceChange, ResourceStore } from '../../fhir/store/store.js';

export type TaskChangeListener = (taskIds: string[]) => void;

/** Fan-out of Task changes to the open event streams of this process. */
export class TaskEventBus {
  private readonly listeners = new Set<TaskChangeListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: TaskChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends changed task ids to every listener (a listener's failure does not reach the others). */
  publish(taskIds: string[]): void {
    for (const listener of this.listeners) {
      try {
        listener(taskIds);
      } catch {
        // a broken stream is closed by its own handler
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}

/** Feeds `bus` from the store's committed Task changes. */
export function connectTaskEvents(store: ResourceStore, bus: TaskEventBus): void {
  store.onChange((changes: ResourceChange[]) => {
    const ids = [...new Set(changes.filter((c) => c.resourceType === 'Task').map((c) => c.id))];
    if (ids.length) bus.publish(ids);
  });
}
