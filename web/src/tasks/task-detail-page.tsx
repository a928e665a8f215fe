/**
 * One task: what to do, for whom, its status with the moves allowed from it (a refused move shows the
 * ones the server allows), owner with claim and reassign, due, priority, reason, notes (add one), and
 * the history of every version (who, when, what changed).
 */
import {
  Alert,
  Anchor,
  Button,
  Group,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useParams } from 'wouter';
import { ApiError } from '../api';
import { conceptText, formatDateTime } from '../fhir-format';
import { OwnerName } from '../workspace/owner-name';
import { ReassignDialog } from '../workspace/reassign-dialog';
import { TaskDue, TaskPriority, TaskStatus } from '../workspace/task-badges';
import {
  addTaskNote,
  allowedFromConflict,
  claimTask,
  getTask,
  ownerText,
  reassignTasks,
  statusLabels,
  type TaskDetail,
  type TaskHistoryEntry,
  taskDue,
  taskTitle,
  transitionLabels,
  transitionTask,
} from '../workspace/workspace-api';

/** Moves that must say why (Gravity SDOH IG: statusReason for rejected, cancelled, on-hold, failed). */
const needsReason = ['rejected', 'cancelled', 'on-hold', 'failed'];

export function TaskDetailPage() {
  const { id } = useParams<{ id: string }>();
  const client = useQueryClient();
  const key = ['task', id];
  const detail = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => getTask(id, signal),
  });
  const [message, setMessage] = useState<{ tone: 'error' | 'ok'; text: string }>();
  const [reassignOpen, setReassignOpen] = useState(false);
  const [note, setNote] = useState('');
  const [moveReason, setMoveReason] = useState('');
  const refresh = () => {
    void client.invalidateQueries({ queryKey: key });
    void client.invalidateQueries({ queryKey: ['worklist'] });
    void client.invalidateQueries({ queryKey: ['patient-tasks'] });
  };

  const move = useMutation({
    mutationFn: (to: string) => transitionTask(id, to, { reason: moveReason.trim() || undefined }),
    onMutate: async (to) => {
      // Optimistic: the new status shows at once; a refusal puts the old one back.
      await client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<TaskDetail>(key);
      if (before) client.setQueryData<TaskDetail>(key, { ...before, task: { ...before.task, status: to } });
      return { before };
    },
    onSuccess: (answer, to) => {
      client.setQueryData<TaskDetail>(key, (old) =>
        old ? { ...old, task: answer.task, allowedTransitions: answer.allowedTransitions } : old,
      );
      setMessage({ tone: 'ok', text: `Moved to ${statusLabels[to] ?? to}.` });
    },
    onError: (err, to, context) => {
      if (context?.before) client.setQueryData(key, context.before);
      const allowed = allowedFromConflict(err);
      if (allowed && context?.before)
        client.setQueryData<TaskDetail>(key, { ...context.before, allowedTransitions: allowed });
      setMessage({
        tone: 'error',
        text: allowed
          ? `This task cannot move to ${statusLabels[to] ?? to} from where it is now. It can move to: ${
              allowed.map((s) => statusLabels[s] ?? s).join(', ') || 'nothing (it is closed)'
            }.`
          : (err as Error).message,
      });
    },
    onSettled: refresh,
  });

  if (detail.error) {
    const missing = detail.error instanceof ApiError && detail.error.status === 404;
    return (
      <Stack maw={640}>
        <Anchor component={Link} href="/worklist" size="sm">
          ← Worklist
        </Anchor>
        <Title order={1} size="h3">
          {missing ? 'Task not available' : 'The task could not be loaded'}
        </Title>
        <Alert color={missing ? 'gray' : 'red'} role="alert">
          {missing
            ? 'This task does not exist or belongs to a patient you cannot see.'
            : detail.error.message}
        </Alert>
      </Stack>
    );
  }
  const d = detail.data;
  if (!d)
    return (
      <Stack gap="sm" aria-label="Loading the task">
        <Skeleton height={14} width={120} />
        <Skeleton height={28} width={420} />
        <Skeleton height={160} />
      </Stack>
    );
  const { task } = d;
  const patientName = d.patient.name ?? 'the patient';
  const closed = ['completed', 'cancelled', 'entered-in-error', 'failed', 'rejected'].includes(task.status);
  const claimable =
    !task.owner?.reference || !/^(Practitioner|PractitionerRole)\//.test(task.owner.reference);

  return (
    <Stack gap="sm" maw={1000}>
      <Group gap="md">
        <Anchor component={Link} href="/worklist" size="sm">
          ← Worklist
        </Anchor>
        <Anchor component={Link} href={`/patients/${d.patient.id}`} size="sm">
          {patientName}’s chart
        </Anchor>
      </Group>
      <Stack gap={2}>
        <Title order={1} size="h3" data-testid="task-title">
          {taskTitle(task)}
        </Title>
        <Text size="sm">
          For{' '}
          <Anchor component={Link} href={`/patients/${d.patient.id}`}>
            {patientName}
          </Anchor>
        </Text>
        {isReconciliation(task) && (
          <Anchor component={Link} href={`/medication-reconciliation/${task.id}`} fw={600} size="sm">
            Reconcile the medications of this discharge
          </Anchor>
        )}
      </Stack>
      {message && (
        <Alert
          color={message.tone === 'error' ? 'red' : 'green'}
          role={message.tone === 'error' ? 'alert' : 'status'}
          p="xs"
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setMessage(undefined)}
          data-testid="task-message"
        >
          {message.text}
        </Alert>
      )}
      <Paper withBorder p="sm">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" verticalSpacing="xs">
          <Fact term="Status">
            <TaskStatus status={task.status} />
          </Fact>
          <Fact term="Priority">
            <TaskPriority priority={task.priority} />
          </Fact>
          <Fact term="Due">
            <TaskDue dueAt={taskDue(task)} />
          </Fact>
          <Fact term="Owner">
            <span data-testid="task-owner">
              <OwnerName owner={task.owner} />
            </span>
          </Fact>
          <Fact term="Reason">
            <Text span size="sm">
              {conceptText(task.reasonCode) || 'None recorded'}
            </Text>
          </Fact>
          <Fact term="Created">
            <Text span size="sm">
              {formatDateTime(task.authoredOn) || 'Not recorded'}
            </Text>
          </Fact>
        </SimpleGrid>
        {task.description && task.description !== taskTitle(task) && (
          <Text size="sm" mt="xs">
            {task.description}
          </Text>
        )}
        {!closed && (
          <TextInput
            mt="sm"
            size="xs"
            maw={420}
            label="Reason for the move"
            description="Needed to put on hold, cancel, reject or fail a task; kept in its history."
            value={moveReason}
            onChange={(e) => setMoveReason(e.currentTarget.value)}
          />
        )}
        <Group gap="xs" mt="sm" aria-label="Actions" role="group">
          {d.allowedTransitions.map((to) => (
            <Button
              key={to}
              size="xs"
              variant={to === 'completed' ? 'filled' : 'default'}
              loading={move.isPending && move.variables === to}
              onClick={() => {
                if (needsReason.includes(to) && !moveReason.trim()) {
                  setMessage({
                    tone: 'error',
                    text: `Say why before you ${(transitionLabels[to] ?? to).toLowerCase()}: write it in “Reason for the move”.`,
                  });
                  return;
                }
                move.mutate(to);
              }}
            >
              {transitionLabels[to] ?? statusLabels[to] ?? to}
            </Button>
          ))}
          {!closed && claimable && (
            <Button
              size="xs"
              variant="default"
              onClick={async () => {
                try {
                  await claimTask(id);
                  setMessage({ tone: 'ok', text: 'You now own this task.' });
                } catch (err) {
                  setMessage({ tone: 'error', text: (err as Error).message });
                }
                refresh();
              }}
            >
              Claim
            </Button>
          )}
          {!closed && (
            <Button size="xs" variant="default" onClick={() => setReassignOpen(true)}>
              Reassign
            </Button>
          )}
          {closed && d.allowedTransitions.length === 0 && (
            <Text size="sm" c="dimmed">
              This task is closed; no further moves.
            </Text>
          )}
        </Group>
      </Paper>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
        <Paper withBorder p="sm" component="section" aria-labelledby="notes-heading">
          <Stack gap="xs">
            <Title order={2} size="h5" id="notes-heading">
              Notes ({task.note?.length ?? 0})
            </Title>
            {(task.note ?? []).length === 0 && (
              <Text size="sm" c="dimmed">
                No notes yet. Add what you did or learned so the next person does not have to ask.
              </Text>
            )}
            <ul className="compact-list" data-testid="task-notes">
              {(task.note ?? []).map((n, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: notes are append-only, in order
                <li key={i}>
                  <Text size="sm">{n.text}</Text>
                  <Text size="xs" c="dimmed">
                    {[n.authorReference?.display ?? n.authorString, formatDateTime(n.time)]
                      .filter(Boolean)
                      .join(' · ')}
                  </Text>
                </li>
              ))}
            </ul>
            <form
              onSubmit={async (e) => {
                e.preventDefault();
                if (!note.trim()) return;
                try {
                  const answer = await addTaskNote(id, note.trim());
                  client.setQueryData<TaskDetail>(key, (old) => (old ? { ...old, task: answer.task } : old));
                  setNote('');
                  refresh();
                } catch (err) {
                  setMessage({ tone: 'error', text: `The note was not saved: ${(err as Error).message}` });
                }
              }}
            >
              <Stack gap={6}>
                <Textarea
                  label="Add a note"
                  value={note}
                  onChange={(e) => setNote(e.currentTarget.value)}
                  autosize
                  minRows={2}
                />
                <Button type="submit" size="xs" w="fit-content" disabled={!note.trim()}>
                  Add note
                </Button>
              </Stack>
            </form>
          </Stack>
        </Paper>
        <Paper withBorder p="sm" component="section" aria-labelledby="history-heading">
          <Stack gap="xs">
            <Title order={2} size="h5" id="history-heading">
              History
            </Title>
            <HistoryTable history={d.history} />
          </Stack>
        </Paper>
      </SimpleGrid>
      {reassignOpen && (
        <ReassignDialog
          taskCount={1}
          patientIds={[d.patient.id]}
          onClose={() => setReassignOpen(false)}
          onSubmit={async (owner, reason) => {
            await reassignTasks([id], owner, reason);
            setMessage({ tone: 'ok', text: 'Reassigned.' });
            refresh();
          }}
        />
      )}
    </Stack>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Group gap={6} wrap="nowrap" align="baseline">
      <Text size="sm" c="dimmed" w={70}>
        {term}
      </Text>
      {children}
    </Group>
  );
}

/** Each version against the one before: what changed, in words. */
function HistoryTable({ history }: { history: TaskHistoryEntry[] }) {
  if (history.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No history recorded.
      </Text>
    );
  const sorted = [...history].sort((a, b) => Number(a.version) - Number(b.version));
  const rows = sorted.map((h, i) => {
    const prev = sorted[i - 1];
    const changes: string[] = [];
    if (!prev) changes.push(`Created as ${statusLabels[h.status] ?? h.status}`);
    else {
      if (prev.status !== h.status)
        changes.push(`${statusLabels[prev.status] ?? prev.status} → ${statusLabels[h.status] ?? h.status}`);
      if (prev.priority !== h.priority && h.priority) changes.push(`Priority → ${h.priority}`);
    }
    if (h.note) changes.push(`Note: “${h.note}”`);
    if (h.reason) changes.push(`Reason: ${h.reason}`);
    const ownerChanged = prev !== undefined && ownerText(prev.owner) !== ownerText(h.owner);
    return { h, changes, ownerChanged };
  });
  return (
    <Table fz="sm" verticalSpacing={4} aria-label="Task history" data-testid="task-history">
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">When</Table.Th>
          <Table.Th scope="col">Who</Table.Th>
          <Table.Th scope="col">What changed</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.reverse().map(({ h, changes, ownerChanged }) => (
          <Table.Tr key={String(h.version)}>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(h.at)}</Table.Td>
            <Table.Td>{h.byName ?? (h.by ? <OwnerName owner={h.by} /> : 'Not recorded')}</Table.Td>
            <Table.Td>
              {changes.join('; ')}
              {ownerChanged && (
                <>
                  {changes.length > 0 && '; '}
                  Owner → <OwnerName owner={h.owner} />
                </>
              )}
              {changes.length === 0 && !ownerChanged && 'Updated'}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** A medication-reconciliation task (CareLoop task code or SNOMED CT 430193006) opens the diff view. */
function isReconciliation(task: { code?: { coding?: { code?: string }[] } }): boolean {
  return (task.code?.coding ?? []).some(
    (c) => c.code === 'medication-reconciliation' || c.code === '430193006',
  );
}
