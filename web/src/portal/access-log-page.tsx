/** Who viewed my record: every access to the record, newest first, in plain words. */

import { Alert, Badge, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { get, query } from '../api';
import { formatDateTime } from '../fhir-format';
import { type MessageKey, usePortalLanguage } from '../i18n';
import { type Role, roleLabels } from '../roles';
import { useUser } from '../session';
import { tone } from '../theme';
import type { Subject } from './portal-shell';

interface AccessEvent {
  recorded: string;
  actor: string;
  actorName?: string | null;
  role?: string | null;
  action: string;
  purposeOfUse?: string | null;
}

const purposeKeys: Record<string, MessageKey> = {
  TREAT: 'purposeTREAT',
  ETREAT: 'purposeETREAT',
  HOPERAT: 'purposeHOPERAT',
  PATRQT: 'purposePATRQT',
};

function actionKey(action: string): MessageKey {
  if (/read|vread|view|everything/i.test(action)) return 'actionRead';
  if (/search/i.test(action)) return 'actionSearch';
  if (/create/i.test(action)) return 'actionCreate';
  if (/update|patch/i.test(action)) return 'actionUpdate';
  if (/delete/i.test(action)) return 'actionDelete';
  return 'actionOther';
}

/** Consecutive entries by the same person, for the same thing, in the same minute, read as one. */
function grouped(events: AccessEvent[]): (AccessEvent & { count: number; key: string })[] {
  const out: (AccessEvent & { count: number; key: string })[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (
      last &&
      last.actor === e.actor &&
      actionKey(last.action) === actionKey(e.action) &&
      last.purposeOfUse === e.purposeOfUse &&
      last.recorded.slice(0, 16) === e.recorded.slice(0, 16)
    )
      last.count += 1;
    else out.push({ ...e, count: 1, key: `${out.length}-${e.recorded}-${e.actor}` });
  }
  return out;
}

export function AccessLogPage(props: { subject: Subject; caregiver: boolean; title: string }) {
  const { subject, caregiver } = props;
  const { t, locale } = usePortalLanguage();
  const user = useUser();
  const path = `/api/me/access-log${query({ patient: caregiver ? subject.patientId : undefined })}`;
  const log = useQuery({
    queryKey: ['access-log', path],
    queryFn: ({ signal }) => get<{ events: AccessEvent[] }>(path, signal),
    // The reader's own visits are not news to them.
    select: (data) => ({
      events: grouped(data.events.filter((e) => !user.resource || e.actor !== user.resource)),
    }),
  });
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        {props.title}
      </Title>
      <Text>
        {subject.own ? t('accessIntro') : t('accessIntroProxy', { name: subject.name })} {t('ownViewsHidden')}
      </Text>
      {log.isPending && <Skeleton height={120} />}
      {log.error && (
        <Alert color="red" role="alert">
          {t('loadFailed')}
        </Alert>
      )}
      {log.data && log.data.events.length === 0 && <Text>{t('noAccess')}</Text>}
      {log.data && log.data.events.length > 0 && (
        <ol className="plain-list" aria-label={props.title} data-testid="access-log">
          {log.data.events.map((e) => {
            const emergency = e.purposeOfUse === 'ETREAT';
            return (
              <li key={e.key}>
                <Paper
                  withBorder
                  p="sm"
                  style={emergency ? { borderColor: 'var(--mantine-color-red-8)' } : undefined}
                >
                  <Stack gap={2}>
                    <Text size="sm" c="dimmed">
                      {formatDateTime(e.recorded, locale)}
                    </Text>
                    <Text fw={600}>{e.role === 'system' ? t('systemActor') : (e.actorName ?? e.actor)}</Text>
                    {e.role && e.role !== 'system' && (
                      <Text size="sm">{roleLabels[e.role as Role] ?? e.role}</Text>
                    )}
                    <Text size="sm">
                      {t(actionKey(e.action))} · {t(purposeKeys[e.purposeOfUse ?? ''] ?? 'purposeOther')}
                      {e.count > 1 && ` (${t('times', { n: String(e.count) })})`}
                    </Text>
                    {emergency && (
                      <>
                        <Badge color={tone.danger} variant="filled" w="fit-content">
                          {t('emergency')}
                        </Badge>
                        <Text size="sm">{t('emergencyHelp')}</Text>
                      </>
                    )}
                  </Stack>
                </Paper>
              </li>
            );
          })}
        </ol>
      )}
    </Stack>
  );
}
