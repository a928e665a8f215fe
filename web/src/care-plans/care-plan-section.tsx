/**
 * The chart's care plans: each plan with its goals (progress against target, as chart, words and a
 * table for screen readers), its activities with status and owner, an edit that must say why, and
 * the list of its revisions. "New care plan" opens the editor with the templates.
 */
import {
  Alert,
  Anchor,
  Button,
  Group,
  List,
  Modal,
  NativeSelect,
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
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { get, request } from '../api';
import { formatDate, formatDateTime } from '../fhir-format';
import { useSubmit } from '../use-submit';
import { OwnerName } from '../workspace/owner-name';
import { TaskStatus } from '../workspace/task-badges';
import { type CarePlanRevision, type CarePlanView, carePlansPath } from '../workspace/workspace-api';
import { PlanGoals } from './plan-goals';

export function CarePlanSection({ patientId }: { patientId: string }) {
  const plans = useQuery({
    queryKey: ['care-plans', patientId],
    queryFn: ({ signal }) => get<{ carePlans: CarePlanView[] }>(carePlansPath(patientId), signal),
  });
  const list = plans.data?.carePlans ?? [];
  return (
    <Paper
      withBorder
      p="sm"
      component="section"
      aria-labelledby="care-plans-heading"
      data-testid="care-plans"
    >
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={2} size="h5" id="care-plans-heading">
            Care plans
            {!plans.isPending && !plans.error && (
              <Text span c="dimmed" size="sm" fw={400}>
                {' '}
                ({list.length})
              </Text>
            )}
          </Title>
          <Button component={Link} href={`/patients/${patientId}/care-plans/new`} size="xs" variant="light">
            New care plan
          </Button>
        </Group>
        {plans.isPending && (
          <Stack gap={6} aria-label="Loading care plans">
            <Skeleton height={14} width="40%" />
            <Skeleton height={110} />
          </Stack>
        )}
        {plans.error && (
          <Alert color="red" role="alert" p="xs">
            {plans.error.message}{' '}
            <Anchor component="button" size="sm" onClick={() => void plans.refetch()}>
              Try again
            </Anchor>
          </Alert>
        )}
        {!plans.isPending && !plans.error && list.length === 0 && (
          <Text size="sm" c="dimmed">
            No care plan yet. Start one from a template with “New care plan”: it sets goals with targets and
            creates the first tasks for the team.
          </Text>
        )}
        {list.map((plan) => (
          <CarePlanCard key={plan.carePlan.id} plan={plan} patientId={patientId} />
        ))}
      </Stack>
    </Paper>
  );
}

function CarePlanCard({ plan, patientId }: { plan: CarePlanView; patientId: string }) {
  const cp = plan.carePlan as CarePlanView['carePlan'] & {
    title?: string;
    status?: string;
    description?: string;
    period?: { start?: string };
    meta?: { versionId?: string };
  };
  const [editing, setEditing] = useState(false);
  const [showRevisions, setShowRevisions] = useState(false);
  const clinicalGoals = plan.goals.filter((g) => !isPatientPriority(g.goal));
  return (
    <Paper withBorder p="xs" bg="gray.0" data-testid="care-plan">
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
          <Stack gap={0}>
            <Title order={3} size="h6" data-testid="care-plan-title">
              {cp.title ?? 'Care plan'}
            </Title>
            <Text size="xs" c="dimmed">
              {[
                cp.status ? `Status: ${cp.status}` : undefined,
                cp.period?.start ? `started ${formatDate(cp.period.start)}` : undefined,
                plan.nextReview ? `next review ${formatDate(plan.nextReview)}` : undefined,
                cp.meta?.versionId ? `version ${cp.meta.versionId}` : undefined,
              ]
                .filter(Boolean)
                .join(' · ')}
            </Text>
          </Stack>
          <Group gap={6}>
            <Button size="compact-xs" variant="default" onClick={() => setEditing(true)}>
              Edit plan
            </Button>
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => setShowRevisions((s) => !s)}
              aria-expanded={showRevisions}
            >
              {showRevisions ? 'Hide revisions' : 'Revisions'}
            </Button>
          </Group>
        </Group>
        {cp.description && <Text size="sm">{cp.description}</Text>}
        {showRevisions && <Revisions planId={cp.id} />}
        <PatientVoice plan={plan} />
        <PlanGoals planId={cp.id} patientId={patientId} goals={clinicalGoals} />
        <Title order={4} size="sm">
          Activities
        </Title>
        {plan.activities.length === 0 ? (
          <Text size="sm" c="dimmed">
            No activities on this plan.
          </Text>
        ) : (
          <Table fz="sm" verticalSpacing={3} aria-label={`Activities of ${cp.title ?? 'the care plan'}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Activity</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Owner</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {plan.activities.map((a, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: activities keep the plan's order
                <Table.Tr key={i}>
                  <Table.Td>
                    {a.task ? (
                      <Anchor component={Link} href={`/tasks/${a.task.id}`} size="sm">
                        {a.title}
                      </Anchor>
                    ) : (
                      a.title
                    )}
                  </Table.Td>
                  <Table.Td>
                    <TaskStatus status={a.status} />
                  </Table.Td>
                  <Table.Td>
                    <OwnerName owner={a.owner ?? a.task?.owner} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
      {editing && (
        <EditPlanDialog
          planId={cp.id}
          patientId={patientId}
          title={cp.title ?? ''}
          status={cp.status ?? 'active'}
          onClose={() => setEditing(false)}
        />
      )}
    </Paper>
  );
}

const SD = 'https://careloop.org/fhir/StructureDefinition';
/** CareLoop's CarePlan extensions (src/modules/care-plans/care-plans.rules.ts). */
const ext = {
  agreement: `${SD}/patient-agreement`,
  preferences: `${SD}/patient-preferences`,
  barrier: `${SD}/barrier`,
};

interface Extension {
  url: string;
  valueString?: string;
  valueBoolean?: boolean;
  valueDateTime?: string;
  extension?: Extension[];
}

/** A goal the patient expressed ("what matters to me"), not a clinical target. */
function isPatientPriority(goal: CarePlanView['goals'][number]['goal']): boolean {
  const by = (goal as { expressedBy?: { reference?: string } }).expressedBy?.reference;
  return by?.startsWith('Patient/') ?? false;
}

/** What matters to the patient, their preferences, the barriers named and whether they agreed. */
function PatientVoice({ plan }: { plan: CarePlanView }) {
  const extensions = ((plan.carePlan as { extension?: Extension[] }).extension ?? []) as Extension[];
  const priorities = plan.goals
    .filter((g) => isPatientPriority(g.goal))
    .filter((g) => {
      const status = (g.goal as { lifecycleStatus?: string }).lifecycleStatus;
      return status !== 'cancelled' && status !== 'entered-in-error';
    })
    .map((g) => (g.goal as { description?: { text?: string } }).description?.text ?? '')
    .filter(Boolean);
  const barriers = extensions
    .filter((e) => e.url === ext.barrier && e.valueString)
    .map((e) => e.valueString as string);
  const prefs = extensions.find((e) => e.url === ext.preferences)?.extension ?? [];
  const prefLabels: Record<string, string> = {
    language: 'Language',
    contact: 'Contact by',
    times: 'Best times',
  };
  const preferences = prefs
    .filter((p) => p.valueString)
    .map((p) => `${prefLabels[p.url] ?? p.url}: ${p.valueString}`);
  const agreementParts = extensions.find((e) => e.url === ext.agreement)?.extension;
  const part = (url: string) => agreementParts?.find((p) => p.url === url);
  if (!priorities.length && !barriers.length && !preferences.length && !agreementParts) return null;
  const agreed = part('agreed')?.valueBoolean;
  const agreedOn = part('date')?.valueDateTime;
  const note = part('note')?.valueString;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xs" data-testid="care-plan-patient-voice">
      <Stack gap={2}>
        <Title order={4} size="sm">
          What matters to the patient
        </Title>
        {priorities.length ? (
          <List size="sm" spacing={0} data-testid="care-plan-priorities">
            {priorities.map((text) => (
              <List.Item key={text}>{text}</List.Item>
            ))}
          </List>
        ) : (
          <Text size="sm" c="dimmed">
            No priorities recorded. Ask the patient what matters most to them and add it when editing the
            plan.
          </Text>
        )}
      </Stack>
      <Stack gap={2}>
        <Title order={4} size="sm">
          Agreement
        </Title>
        <Text size="sm" data-testid="care-plan-agreement">
          {agreed === undefined
            ? 'Not recorded whether the patient agreed to this plan.'
            : `${agreed ? 'The patient agreed to this plan' : 'The patient did not agree to this plan'}${
                agreedOn ? ` on ${formatDate(agreedOn)}` : ''
              }.`}
          {note ? ` Note: ${note}` : ''}
        </Text>
      </Stack>
      <Stack gap={2}>
        <Title order={4} size="sm">
          Barriers
        </Title>
        {barriers.length ? (
          <List size="sm" spacing={0} data-testid="care-plan-barriers">
            {barriers.map((b) => (
              <List.Item key={b}>{b}</List.Item>
            ))}
          </List>
        ) : (
          <Text size="sm" c="dimmed">
            No barriers recorded.
          </Text>
        )}
      </Stack>
      <Stack gap={2}>
        <Title order={4} size="sm">
          Preferences
        </Title>
        {preferences.length ? (
          <List size="sm" spacing={0} data-testid="care-plan-preferences">
            {preferences.map((p) => (
              <List.Item key={p}>{p}</List.Item>
            ))}
          </List>
        ) : (
          <Text size="sm" c="dimmed">
            No contact preferences recorded.
          </Text>
        )}
      </Stack>
    </SimpleGrid>
  );
}

function Revisions({ planId }: { planId: string }) {
  const revisions = useQuery({
    queryKey: ['care-plan-revisions', planId],
    queryFn: ({ signal }) =>
      get<{ revisions: CarePlanRevision[] }>(
        `/api/care-plans/${encodeURIComponent(planId)}/revisions`,
        signal,
      ),
  });
  if (revisions.isPending) return <Skeleton height={40} />;
  if (revisions.error)
    return (
      <Alert color="red" p="xs">
        {revisions.error.message}
      </Alert>
    );
  return (
    <Table
      fz="xs"
      verticalSpacing={2}
      aria-label="Revisions of the care plan"
      data-testid="care-plan-revisions"
    >
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Version</Table.Th>
          <Table.Th scope="col">When</Table.Th>
          <Table.Th scope="col">Who</Table.Th>
          <Table.Th scope="col">Why</Table.Th>
          <Table.Th scope="col">What changed</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {revisions.data.revisions.map((r) => (
          <Table.Tr key={String(r.version)}>
            <Table.Td>{r.version}</Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(r.at)}</Table.Td>
            <Table.Td>{r.byName ?? r.by}</Table.Td>
            <Table.Td>{r.reason ?? '—'}</Table.Td>
            <Table.Td>{r.changes.join('; ') || '—'}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function EditPlanDialog(props: {
  planId: string;
  patientId: string;
  title: string;
  status: string;
  onClose(): void;
}) {
  const client = useQueryClient();
  const [title, setTitle] = useState(props.title);
  const [status, setStatus] = useState(props.status);
  const [reason, setReason] = useState('');
  const { busy, error, setError, submit } = useSubmit();
  return (
    <Modal opened onClose={props.onClose} title="Edit care plan">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (reason.trim().length < 3) {
            setError('Say why the plan changes: the reason is kept with the new version.');
            return;
          }
          await submit(async () => {
            await request('PUT', `/api/care-plans/${encodeURIComponent(props.planId)}`, {
              title: title.trim() || undefined,
              status,
              reason: reason.trim(),
            });
            await client.invalidateQueries({ queryKey: ['care-plans', props.patientId] });
            await client.invalidateQueries({ queryKey: ['care-plan-revisions', props.planId] });
            props.onClose();
          });
        }}
      >
        <Stack gap="sm">
          <TextInput label="Title" value={title} onChange={(e) => setTitle(e.currentTarget.value)} />
          <NativeSelect
            label="Status"
            value={status}
            onChange={(e) => setStatus(e.currentTarget.value)}
            data={[
              { value: 'active', label: 'Active' },
              { value: 'on-hold', label: 'On hold' },
              { value: 'completed', label: 'Completed' },
              { value: 'revoked', label: 'Stopped (revoked)' },
            ]}
          />
          <Textarea
            label="Reason for the change"
            description="Required: kept with the new version and shown in the revisions."
            required
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            autosize
            minRows={2}
          />
          {error && (
            <Alert color="red" role="alert" p="xs">
              {error}
            </Alert>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Save new version
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
