/**
 * The transitions board: every discharge of the last 30 days (7 or 14 on request) that the user may
 * see, with the transitional-care deadlines counting down (contact within 2 business days, the visit
 * in 7 or 14 days, medication reconciliation by the visit), readmission risk with its band, and
 * readmissions flagged. Rows with the nearest open deadline come first; "Details" opens the
 * transition beside the list (risk factors, contact attempts, complexity).
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  NativeSelect,
  Skeleton,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { get } from '../api';
import { formatDate, formatDateTime } from '../fhir-format';
import { tone } from '../theme';
import { TaskStatus } from '../workspace/task-badges';
import { TransitionDrawer } from './transition-drawer';
import {
  boardPath,
  countdown,
  kindLabels,
  type RiskView,
  type TcmTaskKind,
  type TransitionView,
} from './transitions-api';

const OPEN = ['draft', 'requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold'];
const kinds: TcmTaskKind[] = ['tcm-interactive-contact', 'tcm-face-to-face', 'medication-reconciliation'];

/** The current time, updated every minute, so countdowns move while the board is open. */
export function useNow(intervalMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function nextDeadline(t: TransitionView): number {
  const open = t.tasks.filter((x) => OPEN.includes(x.status) && x.dueAt).map((x) => Date.parse(x.dueAt!));
  return open.length ? Math.min(...open) : Number.POSITIVE_INFINITY;
}

export function TransitionsBoardPage() {
  const [days, setDays] = useState(30);
  const [openOnly, setOpenOnly] = useState(false);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string>();
  const now = useNow();
  const board = useQuery({
    queryKey: ['transitions', days],
    queryFn: ({ signal }) => get<{ transitions: TransitionView[] }>(boardPath(days), signal),
    refetchInterval: 60_000,
  });
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (board.data?.transitions ?? [])
      .filter((t) => !needle || (t.patient.name ?? '').toLowerCase().includes(needle))
      .filter((t) => !openOnly || t.tasks.some((x) => OPEN.includes(x.status)))
      .sort((a, b) => nextDeadline(a) - nextDeadline(b));
  }, [board.data, search, openOnly]);
  const overdue = rows.filter((t) => t.tasks.some((x) => x.overdue && OPEN.includes(x.status))).length;

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Stack gap={0}>
          <Title order={1} size="h3">
            Transitions
          </Title>
          <Text size="sm" c="dimmed">
            Discharges of the last {days} days with their transitional-care deadlines
            {board.data ? ` · ${rows.length} shown, ${overdue} with an overdue step` : ''}
          </Text>
        </Stack>
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput
            label="Patient"
            placeholder="Name"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            size="xs"
          />
          <NativeSelect
            label="Discharged within"
            size="xs"
            value={String(days)}
            onChange={(e) => setDays(Number(e.currentTarget.value))}
            data={[
              { value: '7', label: '7 days' },
              { value: '14', label: '14 days' },
              { value: '30', label: '30 days' },
            ]}
          />
          <Switch
            label="Open steps only"
            checked={openOnly}
            onChange={(e) => setOpenOnly(e.currentTarget.checked)}
            size="sm"
          />
        </Group>
      </Group>
      {board.error && (
        <Alert color="red" role="alert">
          The board could not be loaded: {(board.error as Error).message}
        </Alert>
      )}
      {board.isPending ? (
        <Stack gap={6} aria-busy="true" aria-label="Loading transitions">
          <Skeleton height={28} />
          <Skeleton height={28} />
          <Skeleton height={28} />
        </Stack>
      ) : rows.length === 0 ? (
        <Text c="dimmed" data-testid="transitions-empty">
          No discharges in the last {days} days{search || openOnly ? ' match these filters' : ''}.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={980}>
          <Table striped highlightOnHover aria-label="Recent discharges" data-testid="transitions-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Patient</Table.Th>
                <Table.Th scope="col">Discharge</Table.Th>
                <Table.Th scope="col">Readmission risk</Table.Th>
                {kinds.map((k) => (
                  <Table.Th scope="col" key={k}>
                    {kindLabels[k]}
                  </Table.Th>
                ))}
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((t) => (
                <Table.Tr key={t.encounterId} data-testid="transition-row">
                  <Table.Td>
                    <Stack gap={0}>
                      <Anchor component={Link} href={`/patients/${t.patient.id}`} fw={600} size="sm">
                        {t.patient.name ?? 'Unnamed patient'}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        {t.patient.age !== null ? `${t.patient.age} y` : ''}
                      </Text>
                      {t.readmission && (
                        <Badge
                          color="red"
                          variant="light"
                          tt="none"
                          size="sm"
                          data-testid="readmission-badge"
                        >
                          {t.readmission.role === 'readmission'
                            ? 'Readmitted within 30 days'
                            : 'Readmitted after this stay'}
                        </Badge>
                      )}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={0}>
                      <Text size="sm">
                        {t.dischargedAt ? formatDateTime(t.dischargedAt) : 'Not discharged'}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {[t.facility, t.disposition?.display ?? t.disposition?.code]
                          .filter(Boolean)
                          .join(' · ')}
                      </Text>
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={2}>
                      <RiskBadge name="LACE" risk={t.risk.lace} />
                      <RiskBadge name="HOSPITAL" risk={t.risk.hospital} />
                      {t.complexity && (
                        <Text size="xs" c={t.complexity.level === 'high' ? tone.danger : undefined}>
                          {t.complexity.level === 'high'
                            ? 'High complexity (visit in 7 d)'
                            : 'Moderate (visit in 14 d)'}
                        </Text>
                      )}
                    </Stack>
                  </Table.Td>
                  {kinds.map((k) => (
                    <Table.Td key={k}>
                      <Deadline task={t.tasks.find((x) => x.kind === k)} now={now} />
                    </Table.Td>
                  ))}
                  <Table.Td>
                    <Button
                      size="compact-xs"
                      variant="light"
                      onClick={() => setSelected(t.encounterId)}
                      aria-label={`Details of ${t.patient.name ?? 'the patient'}'s transition`}
                    >
                      Details
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {selected && (
        <TransitionDrawer encounterId={selected} days={days} onClose={() => setSelected(undefined)} />
      )}
    </Stack>
  );
}

export function RiskBadge({ name, risk }: { name: string; risk: RiskView | null }) {
  if (!risk)
    return (
      <Text size="xs" c="dimmed">
        {name}: not scored
      </Text>
    );
  const high = risk.band === 'high';
  return (
    <Text
      size="sm"
      fw={high ? 700 : 400}
      c={high ? tone.danger : undefined}
      data-testid={`risk-${name.toLowerCase()}`}
    >
      {name} {risk.score} · {risk.band}
    </Text>
  );
}

function Deadline({ task, now }: { task: TransitionView['tasks'][number] | undefined; now: number }) {
  if (!task)
    return (
      <Text size="xs" c="dimmed">
        —
      </Text>
    );
  const open = OPEN.includes(task.status);
  const c = countdown(task.dueAt, now);
  return (
    <Stack gap={2} data-testid={`deadline-${task.kind}`}>
      <Anchor component={Link} href={`/tasks/${task.id}`} size="xs">
        <TaskStatus status={task.status} size="xs" />
      </Anchor>
      {open ? (
        <Text
          size="sm"
          fw={c.late || c.soon ? 700 : 400}
          c={c.late ? tone.danger : c.soon ? tone.warn : undefined}
          data-testid="countdown"
        >
          {c.late && <span aria-hidden="true">⚠ </span>}
          {c.words}
        </Text>
      ) : (
        <Text size="xs" c="dimmed">
          {task.statusReason ?? (task.dueAt ? `was due ${formatDate(task.dueAt)}` : '')}
        </Text>
      )}
    </Stack>
  );
}
