/**
 * Questionnaires in the portal: the patient (or a caregiver for them) picks one, answers it on the
 * phone, and sends it. The answers go to the care team, who see the score; the patient sees a thank
 * you — and, when they report thoughts of self-harm, what happens next and the crisis line at once.
 */
import { Alert, Button, NativeSelect, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { get } from '../api';
import {
  type AssessmentView,
  type InstrumentInfo,
  instrumentsPath,
  reportsSelfHarm,
  submitAssessment,
} from '../assessments/assessments-api';
import { QuestionnaireForm } from '../assessments/questionnaire-form';
import { usePortalLanguage } from '../i18n';
import type { Subject } from './portal-shell';

export function QuestionnairesPage({ subject, title }: { subject: Subject; title: string }) {
  const { t, language } = usePortalLanguage();
  const [chosen, setChosen] = useState('');
  const [sent, setSent] = useState<AssessmentView>();
  const [draftId, setDraftId] = useState<string>();
  const [draftSaved, setDraftSaved] = useState(false);
  const instruments = useQuery({
    queryKey: ['instruments'],
    queryFn: ({ signal }) => get<{ instruments: InstrumentInfo[] }>(instrumentsPath, signal),
    staleTime: 10 * 60_000,
  });
  const info = instruments.data?.instruments.find((i) => i.id === chosen);
  const labels = {
    required: t('formRequired'),
    missing: t('formMissing'),
    yes: t('formYes'),
    no: t('formNo'),
    other: t('formOther'),
    saveDraft: t('formSaveDraft'),
  };

  return (
    <Stack gap="md">
      <Title order={1} size="h3">
        {title}
      </Title>
      <Text>{t('questionnairesHelp')}</Text>
      {instruments.isPending && <Skeleton height={48} />}
      {instruments.error && (
        <Alert color="red" role="alert">
          {t('loadFailed')}
        </Alert>
      )}
      {sent ? (
        <Stack gap="md" data-testid="questionnaire-sent">
          {reportsSelfHarm(sent) && (
            <Alert color="red" role="alert" data-testid="crisis-message">
              {t('crisis')}
            </Alert>
          )}
          <Alert color="green" role="status">
            {t('thanks')}
          </Alert>
          <Button
            size="md"
            variant="default"
            onClick={() => {
              setSent(undefined);
              setChosen('');
              setDraftId(undefined);
            }}
          >
            {t('answerAnother')}
          </Button>
        </Stack>
      ) : (
        instruments.data && (
          <>
            <NativeSelect
              label={t('chooseQuestionnaire')}
              size="md"
              value={chosen}
              onChange={(e) => {
                setChosen(e.currentTarget.value);
                setDraftId(undefined);
                setDraftSaved(false);
              }}
              data={[
                { value: '', label: '—' },
                ...instruments.data.instruments.map((i) => ({ value: i.id, label: i.title })),
              ]}
            />
            {info && (
              <Stack gap="xs">
                {language !== 'en' && (
                  <Text size="sm" c="dimmed">
                    {t('englishOnly')}
                  </Text>
                )}
                <Title order={2} size="h4" lang="en">
                  {info.title}
                </Title>
                <div lang="en">
                  <QuestionnaireForm
                    key={info.id}
                    questionnaire={info.questionnaire}
                    submitLabel={t('send')}
                    labels={labels}
                    onSubmit={async (items) => {
                      const answer = await submitAssessment(
                        subject.patientId,
                        { questionnaire: info.canonical, status: 'completed', items },
                        draftId,
                      );
                      setSent(answer.assessment);
                    }}
                    onSaveDraft={async (items) => {
                      const answer = await submitAssessment(
                        subject.patientId,
                        { questionnaire: info.canonical, status: 'in-progress', items },
                        draftId,
                      );
                      setDraftId(answer.assessment.id);
                      setDraftSaved(true);
                    }}
                  />
                </div>
                {draftSaved && (
                  <Text size="sm" role="status">
                    {t('draftSaved')}
                  </Text>
                )}
              </Stack>
            )}
          </>
        )
      )}
    </Stack>
  );
}
