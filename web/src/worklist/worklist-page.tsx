/**
 * The worklist, a coordinator's home: saved views with counts in a side bar, filters and sort, a
 * dense ranked table, the patient beside the list, bulk reassign. Keyboard: j/k move, Enter opens the
 * patient beside the list, a reassigns, c completes, / searches, Escape closes the panel. Completing
 * is optimistic (the row leaves at once and comes back with a message if the server refuses); the
 * list refreshes live from the server's event stream, or every 30 s when the stream is unavailable.
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  NativeSelect,
  NavLink,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useHotkeys } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'wouter';
import { get } from '../api';
import { ReassignDialog } from '../workspace/reassign-dialog';
import {
  claimTask,
  completeTask,
  priorities,
  priorityLabels,
  reassignTasks,
  type WorklistAnswer,
  type WorklistFilter,
  type WorklistItem,
  type WorklistView,
  worklistPath,
  worklistViews,
} from '../workspace/workspace-api';
import { PatientSidePanel } from './patient-side-panel';
import { useWorklistEvents } from './use-worklist-events';
import { WorklistTable } from './worklist-table';

const emptyMessages: Record<WorklistView, string> = {
  mine: 'Nothing is assigned to you right now. Look in Claimable for work your roles and teams can take, or in Team for what your colleagues carry.',
  team: 'Your care teams have no open tasks. New work appears here as encounters finish and plans are made.',
  claimable: 'No unclaimed work for your roles and teams. Check My work for what is already yours.',
  overdue: 'Nothing is overdue. Due today shows what keeps it that way.',
  today: 'Nothing is due today. This week shows what is coming.',
  week: 'Nothing is due in the next seven days.',
};

interface Notice {
  tone: 'error' | 'ok';
  text: string;
}

export function WorklistPage() {
  const [params, setParams] = useSearchParams();
  const client = useQueryClient();
  const live = useWorklistEvents();
  const filter: WorklistFilter = {
    view: (worklistViews.find((v) => v.id === params.get('view'))?.id ?? 'mine') as WorklistView,
    priority: params.get('priority') ?? undefined,
    patient: params.get('patient') ?? undefined,
    sort: params.get('sort') === 'due' ? 'due' : 'rank',
  };
  const openTaskId = params.get('task') ?? undefined;
  const setParam = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };

  const key = ['worklist', filter];
  const list = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => get<WorklistAnswer>(worklistPath(filter), signal),
    placeholderData: keepPreviousData,
    refetchInterval: live ? false : 30_000,
  });
  const caseload = useQuery({
    queryKey: ['caseload'],
    queryFn: ({ signal }) => get<{ patients: { id: string; name: string }[] }>('/api/caseload', signal),
    retry: false,
  });

  const [text, setText] = useState('');
  const items = useMemo(() => {
    const q = text.trim().toLowerCase();
    const all = list.data?.items ?? [];
    if (!q) return all;
    return all.filter((i) =>
      [i.patient.name, i.title, ...i.reasons.map((r) => r.label)].some((s) => s.toLowerCase().includes(q)),
    );
  }, [list.data, text]);

  const [active, setActive] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reassign, setReassign] = useState<WorklistItem[] | null>(null);
  const [notice, setNotice] = useState<Notice>();
  const rowRefs = useRef<(HTMLTableRowElement | null)[]>([]);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (active >= items.length && items.length > 0) setActive(items.length - 1);
  }, [active, items.length]);

  const openItem = items.find((i) => i.taskId === openTaskId);
  const moveTo = (index: number) => {
    if (items.length === 0) return;
    const i = Math.max(0, Math.min(items.length - 1, index));
    setActive(i);
    rowRefs.current[i]?.focus();
    rowRefs.current[i]?.scrollIntoView?.({ block: 'nearest' });
    // The panel follows the active row once it is open, like a mail reader.
    if (openTaskId) setParam({ task: items[i].taskId });
  };
  const open = (index: number) => {
    const item = items[index];
    if (item) setParam({ task: item.taskId });
  };

  const complete = useMutation({
    mutationFn: (item: WorklistItem) => completeTask(item.taskId),
    onMutate: async (item) => {
      await client.cancelQueries({ queryKey: ['worklist'] });
      const before = client.getQueryData<WorklistAnswer>(key);
      client.setQueryData<WorklistAnswer>(key, (old) =>
        old ? { ...old, items: old.items.filter((i) => i.taskId !== item.taskId) } : old,
      );
      if (openTaskId === item.taskId) {
        const index = items.findIndex((i) => i.taskId === item.taskId);
        setParam({ task: items[index + 1]?.taskId ?? items[index - 1]?.taskId });
      }
      setNotice({ tone: 'ok', text: `Completed “${item.title}” for ${item.patient.name}.` });
      return { before };
    },
    onError: (err, item, context) => {
      if (context?.before) client.setQueryData(key, context.before);
      setNotice({
        tone: 'error',
        text: `“${item.title}” could not be completed and is back in the list: ${(err as Error).message}`,
      });
    },
    onSettled: (_d, _e, item) => {
      void client.invalidateQueries({ queryKey: ['worklist'] });
      void client.invalidateQueries({ queryKey: ['task', item.taskId] });
      void client.invalidateQueries({ queryKey: ['patient-tasks'] });
    },
  });

  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['worklist'] });
    void client.invalidateQueries({ queryKey: ['task'] });
  };
  const claim = async (item: WorklistItem) => {
    try {
      await claimTask(item.taskId);
      setNotice({ tone: 'ok', text: `You now own “${item.title}”.` });
    } catch (err) {
      setNotice({ tone: 'error', text: `Could not claim “${item.title}”: ${(err as Error).message}` });
    }
    refresh();
  };

  const selectedItems = items.filter((i) => selected.has(i.taskId));
  const dialogOpen = reassign !== null;
  const current = items[active];
  useHotkeys([
    ['j', () => !dialogOpen && moveTo(active + 1)],
    ['k', () => !dialogOpen && moveTo(active - 1)],
    [
      'Enter',
      () => {
        const el = document.activeElement;
        if (dialogOpen || (el && el.tagName !== 'TR' && el !== document.body && el.id !== 'main')) return;
        open(active);
      },
    ],
    ['a', () => !dialogOpen && current && setReassign(selectedItems.length ? selectedItems : [current])],
    ['c', () => !dialogOpen && current && complete.mutate(current)],
    ['/', () => searchRef.current?.focus()],
    ['Escape', () => !dialogOpen && openTaskId && setParam({ task: undefined })],
  ]);

  const counts = list.data?.counts ?? {};
  const viewLabel = worklistViews.find((v) => v.id === filter.view)?.label ?? '';
  const patientOptions = caseload.data?.patients ?? [
    ...new Map((list.data?.items ?? []).map((i) => [i.patient.id, i.patient])).values(),
  ];

  return (
    <div className="worklist-layout" data-panel={openItem ? 'open' : undefined}>
      <nav aria-label="Saved views" className="worklist-views">
        <Title order={2} size="h6" c="dimmed" mb={4} px="xs">
          Views
        </Title>
        {worklistViews.map((v) => (
          <NavLink
            key={v.id}
            component="button"
            label={v.label}
            active={filter.view === v.id}
            aria-current={filter.view === v.id ? 'page' : undefined}
            onClick={() => {
              setActive(0);
              setSelected(new Set());
              setParam({ view: v.id === 'mine' ? undefined : v.id, task: undefined });
            }}
            rightSection={
              counts[v.id] !== undefined && (
                <Badge size="sm" variant={filter.view === v.id ? 'filled' : 'light'} color="gray">
                  {counts[v.id]}
                </Badge>
              )
            }
            py={4}
            data-testid={`view-${v.id}`}
          />
        ))}
        <Text size="xs" c="dimmed" px="xs" mt="md">
          {live ? 'Live: updates as tasks change.' : 'Refreshing every 30 s.'}
        </Text>
        <Text size="xs" c="dimmed" px="xs" mt="xs">
          Keys: j/k move, Enter opens, a reassigns, c completes, / searches.
        </Text>
      </nav>

      <Stack gap="xs" className="worklist-main">
        <Group justify="space-between" align="flex-end" wrap="wrap" gap="xs">
          <Title order={1} size="h3">
            Worklist{' '}
            <Text span c="dimmed" fw={400} size="lg">
              · {viewLabel}
            </Text>
          </Title>
          <Group gap="xs" align="flex-end" wrap="wrap">
            <TextInput
              ref={searchRef}
              type="search"
              size="xs"
              label="Search the list"
              placeholder='Press "/"'
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape' || e.key === 'Enter') {
                  e.currentTarget.blur();
                  moveTo(0);
                }
              }}
              w={180}
            />
            <NativeSelect
              size="xs"
              label="Priority"
              value={filter.priority ?? ''}
              onChange={(e) => setParam({ priority: e.currentTarget.value || undefined })}
              data={[
                { value: '', label: 'Any' },
                ...priorities.map((p) => ({ value: p, label: priorityLabels[p] })),
              ]}
            />
            <NativeSelect
              size="xs"
              label="Patient"
              value={filter.patient ?? ''}
              onChange={(e) => setParam({ patient: e.currentTarget.value || undefined })}
              data={[
                { value: '', label: 'All patients' },
                ...patientOptions.map((p) => ({ value: p.id, label: p.name })),
              ]}
              maw={200}
            />
            <Stack gap={2}>
              <Text size="xs" fw={500} id="sort-label">
                Sort by
              </Text>
              <SegmentedControl
                size="xs"
                aria-labelledby="sort-label"
                value={filter.sort}
                onChange={(v) => setParam({ sort: v === 'due' ? 'due' : undefined })}
                data={[
                  { value: 'rank', label: 'Rank' },
                  { value: 'due', label: 'Due' },
                ]}
              />
            </Stack>
          </Group>
        </Group>

        {notice && (
          <Alert
            color={notice.tone === 'error' ? 'red' : 'green'}
            role={notice.tone === 'error' ? 'alert' : 'status'}
            p="xs"
            withCloseButton
            closeButtonLabel="Dismiss"
            onClose={() => setNotice(undefined)}
            data-testid="worklist-notice"
          >
            {notice.text}
          </Alert>
        )}
        {list.error && (
          <Alert color="red" role="alert" title="The worklist could not be loaded" p="xs">
            {list.error.message}{' '}
            <Anchor component="button" onClick={() => void list.refetch()}>
              Try again
            </Anchor>
          </Alert>
        )}

        <Group justify="space-between" gap="xs" mih={30}>
          <Text size="sm" aria-live="polite" data-testid="worklist-count">
            {list.isPending
              ? 'Loading the worklist…'
              : `${items.length} task${items.length === 1 ? '' : 's'}${text.trim() ? ` matching “${text.trim()}”` : ''}`}
          </Text>
          {selectedItems.length > 0 && (
            <Group gap="xs">
              <Text size="sm" fw={600}>
                {selectedItems.length} selected
              </Text>
              <Button size="xs" onClick={() => setReassign(selectedItems)}>
                Reassign selected
              </Button>
              <Button size="xs" variant="default" onClick={() => setSelected(new Set())}>
                Clear selection
              </Button>
            </Group>
          )}
        </Group>

        {!list.isPending && !list.error && items.length === 0 ? (
          <Alert color="gray" p="sm" data-testid="worklist-empty">
            {text.trim() || filter.priority || filter.patient
              ? 'No task matches these filters. Clear the search or the filters to see the whole view.'
              : emptyMessages[filter.view]}
          </Alert>
        ) : (
          <WorklistTable
            items={items}
            loading={list.isPending}
            busy={list.isFetching}
            active={active}
            openTaskId={openTaskId}
            compact={Boolean(openItem)}
            hideOwner={filter.view === 'mine'}
            selected={selected}
            rowRefs={rowRefs}
            onSelect={(ids, on) =>
              setSelected((s) => {
                const next = new Set(s);
                for (const id of ids) {
                  if (on) next.add(id);
                  else next.delete(id);
                }
                return next;
              })
            }
            onActivate={setActive}
            onOpen={open}
          />
        )}
      </Stack>

      {openItem && (
        <PatientSidePanel
          key={openItem.taskId}
          item={openItem}
          others={items.filter((i) => i.patient.id === openItem.patient.id && i.taskId !== openItem.taskId)}
          onClose={() => setParam({ task: undefined })}
          onComplete={() => complete.mutate(openItem)}
          onReassign={() => setReassign([openItem])}
          onClaim={() => void claim(openItem)}
          onPick={(id) => setParam({ task: id })}
        />
      )}

      {reassign && (
        <ReassignDialog
          taskCount={reassign.length}
          patientIds={reassign.map((i) => i.patient.id)}
          onClose={() => setReassign(null)}
          onSubmit={async (owner, reason) => {
            await reassignTasks(
              reassign.map((i) => i.taskId),
              owner,
              reason,
            );
            setSelected(new Set());
            setNotice({
              tone: 'ok',
              text: `Reassigned ${reassign.length === 1 ? `“${reassign[0].title}”` : `${reassign.length} tasks`}.`,
            });
            refresh();
          }}
        />
      )}
    </div>
  );
}
