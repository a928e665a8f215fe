/**
 * One transition beside the board: the deadlines, every readmission-risk factor with its points (a
 * score is never shown without its reasons), the contact attempts with a form to record one (two
 * timely unsuccessful attempts satisfy the contact requirement), and the complexity a clinician may
 * set, which moves the visit deadline between 7 and 14 days.
 */
import {
  Alert,
  Anchor,
  Button,
  Drawer,
  Group,
  NativeSelect,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { get } from '../api';
import { formatDate, formatDateTime } from '../fhir-format';
import { useSubmit } from '../use-submit';
import { TaskStatus } from '../workspace/task-badges';
import {
  contactChannels,
  contactOutcomes,
  countdown,
  kindLabels,
  outcomeLabels,
  type RiskView,
  recordContactAttempt,
  setComplexity,
  type TransitionView,
  transitionPath,
} from './transitions-api';

export function TransitionDrawer(props: { encounterId: string; days: number; onClose(): void }) {
  const detail = useQuery({
    queryKey: ['transition', props.encounterId],
    queryFn: ({ signal }) => get<{ transition: TransitionView }>(transitionPath(props.encounterId), signal),
  });
  const t = detail.data?.transition;
  return (
    <Drawer
      opened
      onClose={props.onClose}
      position="right"
      size="lg"
      title={t ? `${t.patient.name ?? 'Patient'}: transition` : 'Transition'}
    >
      {detail.error && (
        <Alert color="red" role="alert">
          {(detail.error as Error).message}
        </Alert>
      )}
      {!t ? (
        <Stack gap={6} aria-busy="true" aria-label="Loading the transition">
          <Skeleton height={24} />
          <Skeleton height={80} />
        </Stack>
      ) : (
        <Stack gap="md" data-testid="transition-detail">
          <Text size="sm">
            {t.facility ?? 'Facility not given'} · admitted{' '}
            {t.admittedAt ? formatDateTime(t.admittedAt) : '?'} · discharged{' '}
            {t.dischargedAt ? formatDateTime(t.dischargedAt) : '?'}
            {t.disposition ? ` to ${t.disposition.display ?? t.disposition.code}` : ''}
            {t.tcmPeriod?.end ? ` · TCM period ends ${formatDate(t.tcmPeriod.end)}` : ''}
          </Text>
          <Deadlines t={t} />
          <RiskFactors name="LACE" risk={t.risk.lace} />
          <RiskFactors name="HOSPITAL" risk={t.risk.hospital} />
          <Complexity t={t} days={props.days} />
          <ContactAttempts t={t} days={props.days} />
        </Stack>
      )}
    </Drawer>
  );
}

function Deadlines({ t }: { t: TransitionView }) {
  const now = Date.now();
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        Deadlines
      </Title>
      <Table fz="sm" aria-label="Transitional-care steps">
        <Table.Tbody>
          {t.tasks.map((task) => (
            <Table.Tr key={task.id}>
              <Table.Th scope="row">
                <Anchor component={Link} href={`/tasks/${task.id}`} size="sm">
                  {kindLabels[task.kind] ?? task.title}
                </Anchor>
              </Table.Th>
              <Table.Td>
                <TaskStatus status={task.status} size="xs" />
              </Table.Td>
              <Table.Td>{task.dueAt ? formatDateTime(task.dueAt) : '—'}</Table.Td>
              <Table.Td>{task.statusReason ?? countdown(task.dueAt, now).words}</Table.Td>
              <Table.Td>
                {task.kind === 'medication-reconciliation' && (
                  <Anchor component={Link} href={`/medication-reconciliation/${task.id}`} size="sm">
                    Reconcile
                  </Anchor>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function RiskFactors({ name, risk }: { name: string; risk: RiskView | null }) {
  if (!risk)
    return (
      <Text size="sm" c="dimmed">
        {name}: not scored{name === 'HOSPITAL' ? ' (needs hemoglobin and sodium results from the stay)' : ''}.
      </Text>
    );
  return (
    <Stack gap={4} data-testid={`factors-${name.toLowerCase()}`}>
      <Title order={3} size="h5">
        {name} {risk.score} · {risk.band}
      </Title>
      <Table fz="sm" aria-label={`${name} factors`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Factor</Table.Th>
            <Table.Th scope="col">Value</Table.Th>
            <Table.Th scope="col">Points</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(risk.factors ?? []).map((f) => (
            <Table.Tr key={f.code}>
              <Table.Td>{f.label}</Table.Td>
              <Table.Td>{String(f.value)}</Table.Td>
              <Table.Td>{f.points}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function useRefresh(encounterId: string, days: number) {
  const client = useQueryClient();
  return async () => {
    await client.invalidateQueries({ queryKey: ['transition', encounterId] });
    await client.invalidateQueries({ queryKey: ['transitions', days] });
  };
}

function Complexity({ t, days }: { t: TransitionView; days: number }) {
  const refresh = useRefresh(t.encounterId, days);
  const [level, setLevel] = useState<'high' | 'moderate'>(t.complexity?.level ?? 'moderate');
  const [reason, setReason] = useState('');
  const { busy, error, setError, submit } = useSubmit();
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        Complexity
      </Title>
      <Text size="sm">
        {t.complexity
          ? `${t.complexity.level === 'high' ? 'High' : 'Moderate'}: ${t.complexity.reason}`
          : 'Not assessed'}
      </Text>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!reason.trim()) return setError('Say why (kept with the change).');
          await submit(async () => {
            await setComplexity(t.encounterId, level, reason.trim());
            setReason('');
            await refresh();
          });
        }}
      >
        <Group align="flex-end" gap="xs" wrap="wrap">
          <NativeSelect
            label="Clinician's call"
            size="xs"
            value={level}
            onChange={(e) => setLevel(e.currentTarget.value as 'high' | 'moderate')}
            data={[
              { value: 'high', label: 'High (visit within 7 days)' },
              { value: 'moderate', label: 'Moderate (visit within 14 days)' },
            ]}
          />
          <TextInput
            label="Reason"
            size="xs"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
          />
          <Button type="submit" size="xs" loading={busy}>
            Set complexity
          </Button>
        </Group>
        {error && (
          <Text size="xs" c="red.8" role="alert">
            {error}
          </Text>
        )}
      </form>
    </Stack>
  );
}

function ContactAttempts({ t, days }: { t: TransitionView; days: number }) {
  const refresh = useRefresh(t.encounterId, days);
  const [channel, setChannel] = useState<string>('phone');
  const [outcome, setOutcome] = useState<string>('reached');
  const [note, setNote] = useState('');
  const { busy, error, submit } = useSubmit();
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        Contact attempts
      </Title>
      {t.contactAttempts.length === 0 ? (
        <Text size="sm" c="dimmed">
          None recorded yet.
        </Text>
      ) : (
        <Table fz="sm" aria-label="Contact attempts" data-testid="contact-attempts">
          <Table.Tbody>
            {t.contactAttempts.map((a) => (
              <Table.Tr key={a.id}>
                <Table.Td>{a.at ? formatDateTime(a.at) : '—'}</Table.Td>
                <Table.Td>{a.channel}</Table.Td>
                <Table.Td>{outcomeLabels[a.outcome as keyof typeof outcomeLabels] ?? a.outcome}</Table.Td>
                <Table.Td>{a.note}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await submit(async () => {
            await recordContactAttempt(t.encounterId, {
              at: new Date().toISOString(),
              channel,
              outcome,
              ...(note.trim() ? { note: note.trim() } : {}),
            });
            setNote('');
            await refresh();
          });
        }}
      >
        <Stack gap="xs">
          <Group gap="xs" grow>
            <NativeSelect
              label="Channel"
              size="xs"
              value={channel}
              onChange={(e) => setChannel(e.currentTarget.value)}
              data={contactChannels.map((c) => ({ value: c, label: c }))}
            />
            <NativeSelect
              label="Outcome"
              size="xs"
              value={outcome}
              onChange={(e) => setOutcome(e.currentTarget.value)}
              data={contactOutcomes.map((o) => ({ value: o, label: outcomeLabels[o] }))}
            />
          </Group>
          <Textarea
            label="Note"
            size="xs"
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            autosize
          />
          {error && (
            <Text size="xs" c="red.8" role="alert">
              {error}
            </Text>
          )}
          <Group justify="flex-end">
            <Button type="submit" size="xs" loading={busy}>
              Record attempt
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
