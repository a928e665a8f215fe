/** My health: a plain-language summary — care team with roles, current conditions, current medicines. */
import { Alert, Button, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { get } from '../api';
import {
  type Bundle,
  type CodeableConcept,
  conceptText,
  formatDate,
  type Reference,
  type Resource,
  resources,
} from '../fhir-format';
import { type MessageKey, usePortalLanguage } from '../i18n';
import type { Subject } from './portal-shell';

export function MyHealthPage({ subject, title }: { subject: Subject; title: string }) {
  const { t, locale } = usePortalLanguage();
  const pid = encodeURIComponent(subject.patientId);
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        {title}
      </Title>
      <Text>{subject.own ? t('summaryIntro') : t('summaryIntroProxy', { name: subject.name })}</Text>
      <PortalSection
        id="my-care-team"
        title={subject.own ? 'careTeam' : 'careTeamProxy'}
        help="careTeamHelp"
        empty="noCareTeam"
        path={`/fhir/CareTeam?patient=${pid}&status=active`}
      >
        {(teams) => (
          <ul className="plain-list">
            {teams.flatMap((team) =>
              ((team.participant as { member?: Reference; role?: CodeableConcept[] }[]) ?? [])
                .filter((m) => !m.member?.reference?.startsWith('Patient/'))
                .map((m) => (
                  <li key={`${team.id}-${m.member?.reference ?? m.member?.display}-${conceptText(m.role)}`}>
                    <Text fw={600}>{m.member?.display ?? t('member')}</Text>
                    <Text size="sm">{plainRole(conceptText(m.role))}</Text>
                  </li>
                )),
            )}
          </ul>
        )}
      </PortalSection>
      <PortalSection
        id="my-conditions"
        title={subject.own ? 'conditions' : 'conditionsProxy'}
        help="conditionsHelp"
        empty="noConditions"
        path={`/fhir/Condition?patient=${pid}&clinical-status=active&_count=100`}
      >
        {(items) => (
          <ul className="plain-list">
            {items.map((c) => {
              const since = (c.onsetDateTime as string | undefined) ?? (c.recordedDate as string | undefined);
              return (
                <li key={c.id}>
                  <Text fw={600}>{conceptText(c.code as CodeableConcept)}</Text>
                  {since && <Text size="sm">{t('since', { date: formatDate(since, locale) })}</Text>}
                </li>
              );
            })}
          </ul>
        )}
      </PortalSection>
      <PortalSection
        id="my-medicines"
        title={subject.own ? 'medicines' : 'medicinesProxy'}
        help="medicinesHelp"
        empty="noMedicines"
        path={`/fhir/MedicationRequest?patient=${pid}&status=active&_count=100`}
      >
        {(items) => (
          <ul className="plain-list">
            {items.map((m) => {
              const instructions = (m.dosageInstruction as { text?: string }[] | undefined)?.[0]?.text;
              return (
                <li key={m.id}>
                  <Text fw={600}>
                    {conceptText(m.medicationCodeableConcept as CodeableConcept) ||
                      (m.medicationReference as Reference | undefined)?.display}
                  </Text>
                  {instructions && <Text size="sm">{instructions}</Text>}
                  {typeof m.authoredOn === 'string' && (
                    <Text size="sm">{t('started', { date: formatDate(m.authoredOn, locale) })}</Text>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </PortalSection>
    </Stack>
  );
}

/** "Primary care physician (occupation)" → "Primary care physician": SNOMED's tag means nothing to a patient. */
function plainRole(role: string): string {
  return role.replace(/\s*\((occupation|person)\)$/i, '');
}

function PortalSection(props: {
  id: string;
  title: MessageKey;
  help: MessageKey;
  empty: MessageKey;
  path: string;
  children(items: Resource[]): ReactNode;
}) {
  const { t } = usePortalLanguage();
  const { data, isPending, error, refetch } = useQuery({
    queryKey: ['fhir', props.path],
    queryFn: ({ signal }) => get<Bundle>(props.path, signal),
  });
  const items = resources(data);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={`${props.id}-h`} data-testid={props.id}>
      <Stack gap="xs">
        <Title order={2} size="h3" id={`${props.id}-h`}>
          {t(props.title)}
        </Title>
        <Text size="sm" c="dimmed">
          {t(props.help)}
        </Text>
        {isPending && (
          <Stack gap={8} aria-label={t('loading')}>
            <Skeleton height={16} />
            <Skeleton height={16} width="70%" />
          </Stack>
        )}
        {error && (
          <Alert color="red" role="alert">
            <Stack gap="xs" align="flex-start">
              <Text>{t('loadFailed')}</Text>
              <Button variant="default" onClick={() => void refetch()}>
                {t('tryAgain')}
              </Button>
            </Stack>
          </Alert>
        )}
        {!isPending && !error && items.length === 0 && <Text>{t(props.empty)}</Text>}
        {!isPending && !error && items.length > 0 && props.children(items)}
      </Stack>
    </Paper>
  );
}
