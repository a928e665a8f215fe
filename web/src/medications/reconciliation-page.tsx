/**
 * Medication reconciliation after a discharge (pharmacist, clinician): the list before admission
 * against the discharge list, one line per difference — new, stopped, dose or frequency changed,
 * two drugs of one therapeutic class — each resolved here (continue, stop, change with the new
 * directions, keep both with a reason). When every line is resolved the server makes the result the
 * patient's active list and completes the task (docs/medication-reconciliation.md).
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  NativeSelect,
  Paper,
  Progress,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'wouter';
import { get, request } from '../api';
import { formatDateTime } from '../fhir-format';
import { useUser } from '../session';
import { tone } from '../theme';
import { useSubmit } from '../use-submit';

interface Entry {
  reference: string;
  name: string;
  text?: string;
  dose: { value?: number; unit?: string };
  frequency: { perDay?: number; asNeeded?: boolean };
}

interface Line {
  id: string;
  kind: 'unchanged' | 'new' | 'stopped' | 'dose-changed' | 'frequency-changed' | 'duplicate-class';
  before?: Entry;
  after?: Entry;
  class?: string;
  detail: string;
  resolution?: { decision: string; note?: string; by: string; at: string };
}

interface ReconciliationView {
  task: { id: string; status: string };
  patient: { id: string; name?: string };
  encounter: { id: string; admitted?: string; discharged?: string };
  completed: boolean;
  lines: Line[];
  progress: { resolved: number; total: number };
}

const kindLabel: Record<Line['kind'], { text: string; color: string }> = {
  unchanged: { text: 'Unchanged', color: 'gray' },
  new: { text: 'New at discharge', color: 'blue' },
  stopped: { text: 'Not on discharge list', color: 'orange' },
  'dose-changed': { text: 'Dose changed', color: 'grape' },
  'frequency-changed': { text: 'Frequency changed', color: 'grape' },
  'duplicate-class': { text: 'Same class twice', color: 'red' },
};

const decisionLabel: Record<string, string> = {
  continue: 'Continue',
  stop: 'Stop',
  change: 'Change directions',
  'keep-both': 'Keep both (intended)',
};

function entryText(e: Entry | undefined): string {
  if (!e) return '—';
  const dose = e.dose.value !== undefined ? `${e.dose.value} ${e.dose.unit ?? ''}`.trim() : '';
  const freq = e.frequency.asNeeded
    ? 'as needed'
    : e.frequency.perDay !== undefined
      ? `${e.frequency.perDay}× a day`
      : '';
  return [e.name, e.text ?? [dose, freq].filter(Boolean).join(', ')].filter(Boolean).join(' — ');
}

/** The clinicians who reconcile (the server refuses the others: src/modules/medication-reconciliation). */
const reconcilers = ['pharmacist', 'physician', 'nurse'];

export function ReconciliationPage() {
  const { taskId } = useParams<{ taskId: string }>();
  const mayResolve = reconcilers.includes(useUser().role);
  const path = `/api/medication-reconciliation/${encodeURIComponent(taskId)}`;
  const view = useQuery({
    queryKey: ['reconciliation', taskId],
    queryFn: ({ signal }) => get<ReconciliationView>(path, signal),
  });
  const r = view.data;
  return (
    <Stack gap="sm">
      <Title order={1} size="h3">
        Medication reconciliation
      </Title>
      {view.error && (
        <Alert color="red" role="alert">
          {(view.error as Error).message}
        </Alert>
      )}
      {!r ? (
        !view.error && <Skeleton height={120} aria-label="Loading the reconciliation" />
      ) : (
        <>
          <Text size="sm">
            <Anchor component={Link} href={`/patients/${r.patient.id}`} fw={600}>
              {r.patient.name ?? 'Patient'}
            </Anchor>{' '}
            · admitted {r.encounter.admitted ? formatDateTime(r.encounter.admitted) : '?'} · discharged{' '}
            {r.encounter.discharged ? formatDateTime(r.encounter.discharged) : '?'} ·{' '}
            <Anchor component={Link} href={`/tasks/${r.task.id}`}>
              task
            </Anchor>
          </Text>
          <Group gap="sm" align="center">
            <Progress
              value={r.progress.total ? (100 * r.progress.resolved) / r.progress.total : 100}
              w={200}
              aria-label="Lines resolved"
            />
            <Text size="sm" data-testid="reconciliation-progress">
              {r.progress.resolved} of {r.progress.total} lines resolved
            </Text>
          </Group>
          {r.completed && (
            <Alert color="green" role="status" data-testid="reconciliation-complete">
              Reconciled: the decisions are now the patient's active medication list and the task is
              completed.
            </Alert>
          )}
          {!mayResolve && !r.completed && (
            <Text size="sm" data-testid="reconciliation-read-only">
              A pharmacist, physician or nurse resolves these lines; you can follow the progress here.
            </Text>
          )}
          {r.lines.length === 0 ? (
            <Text c="dimmed">
              No medications before admission or at discharge are recorded for this stay.
            </Text>
          ) : (
            <Stack gap="xs" data-testid="reconciliation-lines">
              {r.lines.map((line) => (
                <LineCard
                  key={line.id}
                  line={line}
                  path={path}
                  taskId={taskId}
                  readOnly={r.completed || !mayResolve}
                />
              ))}
            </Stack>
          )}
        </>
      )}
    </Stack>
  );
}

function LineCard(props: { line: Line; path: string; taskId: string; readOnly: boolean }) {
  const { line } = props;
  const client = useQueryClient();
  const [decision, setDecision] = useState(
    line.resolution?.decision ?? (line.kind === 'stopped' ? 'stop' : 'continue'),
  );
  const [directions, setDirections] = useState('');
  const [note, setNote] = useState('');
  const { busy, error, setError, submit } = useSubmit();
  const kind = kindLabel[line.kind];
  const options = line.kind === 'duplicate-class' ? ['keep-both', 'stop'] : ['continue', 'stop', 'change'];
  return (
    <Paper withBorder p="xs" data-testid="reconciliation-line">
      <Stack gap={4}>
        <Group justify="space-between" wrap="wrap">
          <Badge color={kind.color} variant="light" tt="none">
            {kind.text}
            {line.class ? ` · ${line.class}` : ''}
          </Badge>
          {line.resolution && (
            <Text size="xs" c={tone.ok} data-testid="line-resolution">
              ✓ {decisionLabel[line.resolution.decision] ?? line.resolution.decision} ·{' '}
              {formatDateTime(line.resolution.at)}
              {line.resolution.note ? ` · ${line.resolution.note}` : ''}
            </Text>
          )}
        </Group>
        <Table fz="sm" withRowBorders={false} aria-label={`${kind.text}: before and at discharge`}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th scope="row" w={140}>
                Before admission
              </Table.Th>
              <Table.Td>{entryText(line.before)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th scope="row">At discharge</Table.Th>
              <Table.Td>{entryText(line.after)}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        <Text size="xs" c="dimmed">
          {line.detail}
        </Text>
        {!props.readOnly && (
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              if (decision === 'change' && !directions.trim()) return setError('Give the new directions.');
              if (decision === 'keep-both' && !note.trim()) return setError('Say why both are intended.');
              await submit(async () => {
                await request('PUT', `${props.path}/lines/${line.id}`, {
                  decision,
                  ...(decision === 'change' ? { dosage: { text: directions.trim() } } : {}),
                  ...(note.trim() ? { note: note.trim() } : {}),
                });
                await client.invalidateQueries({ queryKey: ['reconciliation', props.taskId] });
              });
            }}
          >
            <Group gap="xs" align="flex-end" wrap="wrap">
              <NativeSelect
                label="Decision"
                size="xs"
                value={decision}
                onChange={(e) => setDecision(e.currentTarget.value)}
                data={options.map((o) => ({ value: o, label: decisionLabel[o]! }))}
              />
              {decision === 'change' && (
                <TextInput
                  label="New directions"
                  size="xs"
                  value={directions}
                  onChange={(e) => setDirections(e.currentTarget.value)}
                />
              )}
              <TextInput
                label="Note"
                size="xs"
                value={note}
                onChange={(e) => setNote(e.currentTarget.value)}
              />
              <Button type="submit" size="xs" loading={busy}>
                {line.resolution ? 'Change decision' : 'Resolve'}
              </Button>
            </Group>
            {error && (
              <Text size="xs" c="red.8" role="alert">
                {error}
              </Text>
            )}
          </form>
        )}
      </Stack>
    </Paper>
  );
}
