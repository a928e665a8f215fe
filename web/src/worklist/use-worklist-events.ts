/**
 * Live refresh of the worklist: GET /api/worklist/events (server-sent events) says `tasks-changed`
 * with the task ids, and the worklist, those tasks and the patients' task lists are read again. While
 * the stream is down (not offered, dropped, reconnecting) the caller polls instead.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

/** True while the event stream is open; false means "poll". */
export function useWorklistEvents(): boolean {
  const client = useQueryClient();
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/worklist/events', { withCredentials: true });
    source.onopen = () => setLive(true);
    // EventSource reconnects by itself after a drop; a refused stream (404, wrong type) stays closed.
    source.onerror = () => {
      setLive(false);
      if (source.readyState === EventSource.CLOSED) source.close();
    };
    source.addEventListener('tasks-changed', (event) => {
      let ids: string[] = [];
      try {
        ids = (JSON.parse((event as MessageEvent<string>).data) as { taskIds?: string[] }).taskIds ?? [];
      } catch {
        // A malformed payload still means "something changed".
      }
      void client.invalidateQueries({ queryKey: ['worklist'] });
      void client.invalidateQueries({ queryKey: ['patient-tasks'] });
      for (const id of ids) void client.invalidateQueries({ queryKey: ['task', id] });
    });
    return () => source.close();
  }, [client]);
  return live;
}
