/**
 * The chart's assessments: PHQ-9 and GAD-7 trends, every response newest first with its total, band
 * and — opened — each answer's points (a score is never shown without its factors) or, for the social
 * needs screen, each domain with why it is positive; "Start an assessment" opens the form.
 */
import {
  Anchor,
  Badge,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { get } from '../api';
import { formatDateTime } from '../fhir-format';
import { tone } from '../theme';
import {
  type AssessmentView,
  assessmentsPath,
  type InstrumentInfo,
  instrumentsPath,
} from './assessments-api';
import { ScoreTrend } from './score-trend';

export function AssessmentsSection({ patientId }: { patientId: string }) {
  const [, navigate] = useLocation();
  const [open, setOpen] = useState<string>();
  const list = useQuery({
    queryKey: ['assessments', patientId],
    queryFn: ({ signal }) => get<{ assessments: AssessmentView[] }>(assessmentsPath(patientId), signal),
  });
  const instruments = useQuery({
    queryKey: ['instruments'],
    queryFn: ({ signal }) => get<{ instruments: InstrumentInfo[] }>(instrumentsPath, signal),
    staleTime: 10 * 60_000,
  });
  // Other Questionnaires on this server (loaded by an integration or an administrator): rendered
  // and validated the same way, without a score.
  const others = useQuery({
    queryKey: ['questionnaires'],
    queryFn: ({ signal }) =>
      get<{ entry?: { resource: { id: string; title?: string; name?: string; url?: string } }[] }>(
        '/fhir/Questionnaire?_count=100&_elements=id,title,name,url',
        signal,
      ),
    staleTime: 10 * 60_000,
  });
  const shipped = new Set((instruments.data?.instruments ?? []).map((i) => i.canonical.split('|')[0]));
  const otherOptions = (others.data?.entry ?? [])
    .map((e) => e.resource)
    .filter((q) => !q.url || !shipped.has(q.url))
    .map((q) => ({ value: `q-${q.id}`, label: q.title ?? q.name ?? q.id }));
  const assessments = list.data?.assessments ?? [];
  return (
    <Paper
      withBorder
      p="sm"
      component="section"
      aria-labelledby="assessments-heading"
      data-testid="assessments"
    >
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h5" id="assessments-heading">
            Assessments
          </Title>
          <NativeSelect
            aria-label="Start an assessment"
            size="xs"
            value=""
            onChange={(e) => {
              const id = e.currentTarget.value;
              if (id) navigate(`/patients/${patientId}/assessments/new/${id}`);
            }}
            data={[
              { value: '', label: 'Start an assessment…' },
              ...(instruments.data?.instruments ?? []).map((i) => ({ value: i.id, label: i.title })),
              ...otherOptions,
            ]}
          />
        </Group>
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
          <ScoreTrend patientId={patientId} instrument="phq-9" />
          <ScoreTrend patientId={patientId} instrument="gad-7" />
        </SimpleGrid>
        {list.isPending ? (
          <Text size="sm" c="dimmed">
            Loading…
          </Text>
        ) : assessments.length === 0 ? (
          <Text size="sm" c="dimmed">
            No assessments yet.
          </Text>
        ) : (
          <Table fz="sm" aria-label="Assessments" data-testid="assessment-list">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Instrument</Table.Th>
                <Table.Th scope="col">Date</Table.Th>
                <Table.Th scope="col">Result</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Details</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {assessments.map((a) => (
                <AssessmentRow
                  key={a.id}
                  a={a}
                  open={open === a.id}
                  toggle={() => setOpen(open === a.id ? undefined : a.id)}
                />
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Paper>
  );
}

export function resultText(a: AssessmentView): string {
  if (a.status === 'in-progress') return 'In progress';
  const positives = a.domains.filter((d) => d.positive).map((d) => d.label);
  if (a.total !== undefined) return `${a.total}${a.band ? ` · ${a.band.label}` : ''}`;
  if (a.domains.length) return positives.length ? `Positive: ${positives.join(', ')}` : 'No needs found';
  return a.band?.label ?? 'Completed';
}

function AssessmentRow({ a, open, toggle }: { a: AssessmentView; open: boolean; toggle(): void }) {
  const positive = a.band?.positive || a.domains.some((d) => d.positive);
  return (
    <>
      <Table.Tr data-testid="assessment-row">
        <Table.Td>{a.title ?? a.questionnaire}</Table.Td>
        <Table.Td>{a.authored ? formatDateTime(a.authored) : ''}</Table.Td>
        <Table.Td>
          <Text span size="sm" fw={positive ? 700 : 400} c={positive ? tone.danger : undefined}>
            {resultText(a)}
          </Text>
          {a.status === 'in-progress' && (
            <Badge size="xs" variant="light" ml={4} tt="none">
              draft
            </Badge>
          )}
        </Table.Td>
        <Table.Td>
          <Anchor component="button" type="button" size="sm" onClick={toggle} aria-expanded={open}>
            {open ? 'Hide answers' : 'Answers'}
          </Anchor>
        </Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={4}>
            <AssessmentFactors a={a} />
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

/** Each answer with its points, and each social-needs domain with its reason. */
export function AssessmentFactors({ a }: { a: AssessmentView }) {
  return (
    <Stack gap={4} data-testid="assessment-factors">
      {a.band && (
        <Text size="sm">
          {a.band.label}: {a.band.interpretation}
        </Text>
      )}
      {a.domains.map((d) => (
        <Text key={d.id} size="sm" fw={d.positive ? 700 : 400}>
          {d.label}: {d.positive ? 'positive' : 'negative'} — {d.reason}
        </Text>
      ))}
      <Table fz="xs" aria-label="Answers and points">
        <Table.Tbody>
          {a.factors.map((f) => (
            <Table.Tr key={f.linkId}>
              <Table.Td>{f.question ?? f.linkId}</Table.Td>
              <Table.Td>{f.answers.map((x) => x.display ?? x.code).join(', ') || '—'}</Table.Td>
              <Table.Td>{f.points !== undefined ? `${f.points} pt` : ''}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Anchor href={`/fhir/QuestionnaireResponse/${encodeURIComponent(a.id)}`} size="xs" target="_blank">
        The response as FHIR
      </Anchor>
    </Stack>
  );
}
