/**
 * The patient beside the worklist: who they are (age, language, interpreter), their lead
 * coordinator, active problems, the open task with its actions, and the patient's other tasks on the
 * list. The coordinator keeps their place in the list; the chart and the task page are one link away.
 */
import {
  ActionIcon,
  Alert,
  Anchor,
  Button,
  Divider,
  Group,
  Paper,
  Skeleton,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api';
import {
  ageInYears,
  type Bundle,
  type CodeableConcept,
  conceptText,
  genderLabel,
  humanName,
  interpreterNeeded,
  mrn,
  type Patient,
  preferredLanguage,
  resources,
} from '../fhir-format';
import { TaskDue, TaskPriority, TaskStatus } from '../workspace/task-badges';
import {
  type CareTeamAnswer,
  careTeamPath,
  getTask,
  taskDue,
  type WorklistItem,
} from '../workspace/workspace-api';

export function PatientSidePanel(props: {
  item: WorklistItem;
  others: WorklistItem[];
  onClose(): void;
  onComplete(): void;
  onReassign(): void;
  onClaim(): void;
  onPick(taskId: string): void;
}) {
  const { item } = props;
  const pid = encodeURIComponent(item.patient.id);
  const patient = useQuery({
    queryKey: ['fhir', `/fhir/Patient/${item.patient.id}`],
    queryFn: ({ signal }) => get<Patient>(`/fhir/Patient/${pid}`, signal),
  });
  const team = useQuery({
    queryKey: ['care-team', item.patient.id],
    queryFn: ({ signal }) => get<CareTeamAnswer>(careTeamPath(item.patient.id), signal),
  });
  const problemsPath = `/fhir/Condition?patient=${pid}&clinical-status=active&_count=6`;
  const problems = useQuery({
    queryKey: ['fhir', problemsPath],
    queryFn: ({ signal }) => get<Bundle>(problemsPath, signal),
  });
  const task = useQuery({
    queryKey: ['task', item.taskId],
    queryFn: ({ signal }) => getTask(item.taskId, signal),
  });
  const p = patient.data;
  const language = p ? preferredLanguage(p) : item.patient.language;
  const interpreter = p ? interpreterNeeded(p) : item.patient.interpreter;
  const age = p ? ageInYears(p.birthDate) : item.patient.age;
  const claimable = !item.owner || !/^(Practitioner|PractitionerRole)\//.test(item.owner.reference);

  return (
    <Paper
      withBorder
      p="sm"
      component="aside"
      aria-label={`Patient: ${item.patient.name}`}
      data-testid="patient-panel"
      className="side-panel"
    >
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Stack gap={0}>
            <Title order={2} size="h4" data-testid="panel-patient-name">
              {p ? humanName(p.name) : item.patient.name}
            </Title>
            <Text size="sm" c="dimmed">
              {[
                age !== undefined ? `${age} y` : undefined,
                p ? genderLabel(p.gender) : undefined,
                language ?? 'Language not recorded',
                interpreter ? 'needs an interpreter' : undefined,
                p && mrn(p) ? `MRN ${mrn(p)}` : undefined,
              ]
                .filter(Boolean)
                .join(' · ')}
            </Text>
          </Stack>
          <ActionIcon
            variant="subtle"
            color="gray"
            onClick={props.onClose}
            aria-label="Close the patient panel"
          >
            <span aria-hidden="true">✕</span>
          </ActionIcon>
        </Group>
        <Group gap="xs">
          <Button component={Link} href={`/patients/${item.patient.id}`} size="xs" variant="light">
            Open chart
          </Button>
          <Button component={Link} href={`/tasks/${item.taskId}`} size="xs" variant="default">
            Open task page
          </Button>
        </Group>
        <Text size="sm">
          <Text span c="dimmed">
            Lead coordinator:{' '}
          </Text>
          {team.isPending ? '…' : (team.data?.lead?.display ?? 'None recorded')}
        </Text>
        <Divider label="This task" labelPosition="left" />
        <Stack gap={4} data-testid="panel-task">
          <Text fw={600} size="sm">
            {item.title}
          </Text>
          <Group gap="md">
            <TaskStatus status={task.data?.task.status ?? item.status} />
            <TaskPriority priority={item.priority} />
            <TaskDue
              dueAt={task.data ? taskDue(task.data.task) : item.dueAt}
              overdueDays={item.overdueDays}
            />
          </Group>
          <Text size="sm">
            <Text span c="dimmed">
              Owner:{' '}
            </Text>
            {item.owner?.display ?? (item.ownerRole ? `Any ${item.ownerRole}` : 'Unassigned')}
          </Text>
          {item.reasons.length > 0 && (
            <Text size="sm">
              <Text span c="dimmed">
                Why now:{' '}
              </Text>
              {item.reasons.map((r) => r.label).join('; ')}
            </Text>
          )}
          {task.data?.task.description && task.data.task.description !== item.title && (
            <Text size="sm">{task.data.task.description}</Text>
          )}
          {task.error && (
            <Alert color="red" p="xs">
              {task.error.message}
            </Alert>
          )}
          <Group gap="xs" mt={4}>
            <Button size="xs" onClick={props.onComplete}>
              Complete{' '}
              <Text span size="xs" c="blue.1" ml={4} aria-hidden="true">
                c
              </Text>
            </Button>
            <Button size="xs" variant="default" onClick={props.onReassign}>
              Reassign{' '}
              <Text span size="xs" c="dimmed" ml={4} aria-hidden="true">
                a
              </Text>
            </Button>
            {claimable && (
              <Button size="xs" variant="default" onClick={props.onClaim}>
                Claim
              </Button>
            )}
          </Group>
        </Stack>
        <Divider label="Active problems" labelPosition="left" />
        {problems.isPending ? (
          <Skeleton height={40} />
        ) : resources(problems.data).length === 0 ? (
          <Text size="sm" c="dimmed">
            No active problems are recorded.
          </Text>
        ) : (
          <ul className="compact-list">
            {resources(problems.data).map((c) => (
              <li key={c.id}>
                <Text size="sm">{conceptText(c.code as CodeableConcept)}</Text>
              </li>
            ))}
          </ul>
        )}
        {props.others.length > 0 && (
          <>
            <Divider label="Other tasks for this patient" labelPosition="left" />
            <ul className="compact-list">
              {props.others.map((o) => (
                <li key={o.taskId}>
                  <Group gap="xs" wrap="nowrap" justify="space-between">
                    <Anchor component="button" size="sm" onClick={() => props.onPick(o.taskId)} ta="left">
                      {o.title}
                    </Anchor>
                    <TaskDue dueAt={o.dueAt} overdueDays={o.overdueDays} compact />
                  </Group>
                </li>
              ))}
            </ul>
          </>
        )}
        {(patient.error || team.error) && (
          <Text size="xs" c="dimmed">
            Part of this summary could not be loaded: {(patient.error ?? team.error)?.message}
          </Text>
        )}
        <Anchor component={Link} href={`/patients/${item.patient.id}#tasks`} size="xs">
          All tasks and the care plan for {item.patient.name}
        </Anchor>
      </Stack>
    </Paper>
  );
}
