/**
 * Staff complete an instrument with or for the patient: the Questionnaire as a form, then the result
 * with its factors and what it set in motion (an urgent task and a flag for thoughts of self-harm, a
 * PHQ-9 after a positive PHQ-2, social-needs conditions and referral suggestions).
 */
import { Alert, Anchor, Button, List, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'wouter';
import { get } from '../api';
import { formatDateTime } from '../fhir-format';
import {
  type InstrumentInfo,
  instrumentsPath,
  reportsSelfHarm,
  type SaveAnswer,
  submitAssessment,
} from './assessments-api';
import { AssessmentFactors, resultText } from './assessments-section';
import { QuestionnaireForm } from './questionnaire-form';
import type { Questionnaire } from './questionnaire-model';

export function AssessmentPage() {
  const { id: patientId, instrument } = useParams<{ id: string; instrument: string }>();
  const client = useQueryClient();
  const [result, setResult] = useState<SaveAnswer>();
  const [draftId, setDraftId] = useState<string>();
  const [draftSaved, setDraftSaved] = useState<string>();
  const instruments = useQuery({
    queryKey: ['instruments'],
    queryFn: ({ signal }) => get<{ instruments: InstrumentInfo[] }>(instrumentsPath, signal),
    staleTime: 10 * 60_000,
  });
  // `q-<id>`: any other Questionnaire on the server, answered and validated without a score.
  const otherId = instrument.startsWith('q-') ? instrument.slice(2) : undefined;
  const other = useQuery({
    queryKey: ['questionnaire', otherId],
    queryFn: ({ signal }) =>
      get<Questionnaire>(`/fhir/Questionnaire/${encodeURIComponent(otherId!)}`, signal),
    enabled: !!otherId,
  });
  const info: InstrumentInfo | undefined = otherId
    ? other.data && {
        id: instrument,
        title: other.data.title ?? other.data.name ?? 'Questionnaire',
        canonical: `Questionnaire/${otherId}`,
        source: {
          title: other.data.publisher
            ? `Published by ${other.data.publisher}`
            : 'Questionnaire on this server',
        },
        questionnaire: other.data,
      }
    : instruments.data?.instruments.find((i) => i.id === instrument);
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['assessments', patientId] });
    await client.invalidateQueries({ queryKey: ['assessment-trend', patientId] });
  };

  return (
    <Stack gap="sm" maw={760}>
      <Anchor component={Link} href={`/patients/${patientId}`} size="sm">
        ← Back to the chart
      </Anchor>
      <Title order={1} size="h3" data-testid="assessment-title">
        {info?.title ?? 'Assessment'}
      </Title>
      {(instruments.error ?? other.error) && (
        <Alert color="red">{((instruments.error ?? other.error) as Error).message}</Alert>
      )}
      {!info && !instruments.error && !other.error && (
        <Skeleton height={200} aria-label="Loading the questionnaire" />
      )}
      {info && !result && (
        <>
          <Text size="xs" c="dimmed">
            Source: {info.source.title}
          </Text>
          <QuestionnaireForm
            questionnaire={info.questionnaire}
            submitLabel="Save and score"
            onSubmit={async (items) => {
              const answer = await submitAssessment(
                patientId,
                { questionnaire: info.canonical, status: 'completed', items },
                draftId,
              );
              setResult(answer);
              await refresh();
            }}
            onSaveDraft={async (items) => {
              const answer = await submitAssessment(
                patientId,
                { questionnaire: info.canonical, status: 'in-progress', items },
                draftId,
              );
              setDraftId(answer.assessment.id);
              setDraftSaved(new Date().toISOString());
              await refresh();
            }}
          />
          {draftSaved && (
            <Text size="xs" c="dimmed" role="status">
              Saved as in progress at {formatDateTime(draftSaved)}.
            </Text>
          )}
        </>
      )}
      {result && <Result answer={result} patientId={patientId} />}
    </Stack>
  );
}

function Result({ answer, patientId }: { answer: SaveAnswer; patientId: string }) {
  const a = answer.assessment;
  const f = answer.followUps;
  const actions = f.tasks.length + f.flags.length + f.conditions.length + f.goals.length;
  return (
    <Stack gap="sm" data-testid="assessment-result">
      {reportsSelfHarm(a) && (
        <Alert color="red" title="Thoughts of self-harm reported" role="alert">
          An urgent same-day task for the responsible clinician and a flag on the patient were created. Assess
          safety now; the 988 Suicide & Crisis Lifeline is available by call or text at 988.
        </Alert>
      )}
      <Title order={2} size="h4" data-testid="assessment-score">
        {resultText(a)}
      </Title>
      <AssessmentFactors a={a} />
      <Title order={3} size="h5">
        What happens next
      </Title>
      {actions === 0 ? (
        <Text size="sm">No follow-up is called for by this result.</Text>
      ) : (
        <List size="sm" data-testid="assessment-follow-ups">
          {f.tasks.map((t) => (
            <List.Item key={t.id}>
              Task:{' '}
              <Anchor component={Link} href={`/tasks/${t.id}`}>
                {t.title}
              </Anchor>
              {t.role ? ` for the ${t.role}` : ''}
              {t.dueAt ? `, due ${formatDateTime(t.dueAt)}` : ''}
              {t.priority && t.priority !== 'routine' ? ` (${t.priority})` : ''}
            </List.Item>
          ))}
          {f.flags.map((x) => (
            <List.Item key={x.id}>Flag on the patient: {x.text}</List.Item>
          ))}
          {f.conditions.map((x) => (
            <List.Item key={x.id}>Social need recorded: {x.text}</List.Item>
          ))}
          {f.goals.map((x) => (
            <List.Item key={x.id}>Goal: {x.text}</List.Item>
          ))}
        </List>
      )}
      <Button component={Link} href={`/patients/${patientId}`} variant="light" w="fit-content">
        Back to the chart
      </Button>
    </Stack>
  );
}
