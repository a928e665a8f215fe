/**
 * The patient portal, for patients and caregivers: plain words in English or Spanish, large targets,
 * one thing per screen. A caregiver always sees whose record they are viewing and can switch.
 */
import { Alert, AppShell, Button, Group, NativeSelect, Skeleton, Stack, Text } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { get } from '../api';
import { idOf } from '../fhir-format';
import { type Language, usePortalLanguage } from '../i18n';
import { lazyNamed, PageSkeleton } from '../lazy-page';
import { useSession, useUser } from '../session';

// Each page is its own chunk, loaded on first visit (the questionnaires bring the form renderer).
const AccessLogPage = lazyNamed(() => import('./access-log-page'), 'AccessLogPage');
const MyHealthPage = lazyNamed(() => import('./my-health-page'), 'MyHealthPage');
const QuestionnairesPage = lazyNamed(() => import('./questionnaires-page'), 'QuestionnairesPage');

/** One patient a patient or caregiver may act for (GET /api/me/patients). */
export interface MyPatient {
  id: string;
  name: string;
  birthDate?: string;
  relationship?: string;
}

/** The record being viewed: whose, and whether it is the user's own. */
export interface Subject {
  patientId: string;
  name: string;
  own: boolean;
}

export function PortalShell() {
  const user = useUser();
  const { signOut } = useSession();
  const { t, language, setLanguage } = usePortalLanguage();
  const [location] = useLocation();
  const caregiver = user.role === 'caregiver';
  useEffect(() => {
    document.documentElement.lang = language;
    return () => {
      document.documentElement.lang = 'en';
    };
  }, [language]);

  const linked = useQuery({
    queryKey: ['me-patients'],
    queryFn: ({ signal }) => get<{ patients: MyPatient[] }>('/api/me/patients', signal),
    enabled: caregiver,
  });
  const [chosen, setChosen] = useLocalStorage<string>({
    key: `careloop.viewing.${user.id}`,
    defaultValue: '',
    getInitialValueInEffect: false,
  });
  const patients = linked.data?.patients ?? [];
  const current = patients.find((p) => p.id === chosen) ?? patients[0];
  const ownId = idOf(user.resource);
  const subject: Subject | undefined = caregiver
    ? current && { patientId: current.id, name: current.name, own: false }
    : ownId
      ? { patientId: ownId, name: user.name, own: true }
      : undefined;

  const nav = [
    { href: '/portal', label: caregiver ? t('healthSummary') : t('myHealth') },
    // A short word: it is a button's longest word, and the narrowest the button can be (.portal-nav).
    { href: '/portal/questionnaires', label: t('questionnairesNav') },
    { href: '/portal/access-log', label: caregiver ? t('whoViewedProxy') : t('whoViewed') },
  ];

  return (
    <AppShell header={{ height: 56 }} padding={0} className="portal">
      <a className="skip-link" href="#main">
        {language === 'es' ? 'Saltar al contenido' : 'Skip to content'}
      </a>
      <AppShell.Header>
        <Group h="100%" px="sm" justify="space-between" wrap="nowrap" gap="xs">
          <Text component="span" fw={700} size="lg" c="blue.9">
            CareLoop
          </Text>
          <Button variant="default" size="sm" onClick={() => void signOut()}>
            {t('signOut')}
          </Button>
        </Group>
      </AppShell.Header>
      <AppShell.Main id="main" tabIndex={-1}>
        <Stack maw={720} mx="auto" px="md" pb="xl" pt="xs" gap="md">
          <Group justify="space-between" wrap="wrap" gap="xs">
            <Text size="sm" c="dimmed">
              {user.name}
            </Text>
            <LanguageSwitch language={language} onChange={setLanguage} label={t('languageSwitch')} />
          </Group>
          {caregiver && (
            <CaregiverSwitch
              loading={linked.isPending}
              error={linked.error?.message}
              patients={patients}
              current={current}
              onChange={setChosen}
              t={t}
            />
          )}
          <Group component="nav" aria-label={t('menu')} gap="xs" align="stretch" className="portal-nav">
            {nav.map((item) => {
              const active = location === item.href;
              return (
                <Button
                  key={item.href}
                  component={Link}
                  href={item.href}
                  variant={active ? 'filled' : 'default'}
                  size="md"
                  aria-current={active ? 'page' : undefined}
                  styles={{ label: { whiteSpace: 'normal', textAlign: 'center' } }}
                  h="auto"
                  mih={44}
                  py={6}
                  px="sm"
                >
                  {item.label}
                </Button>
              );
            })}
          </Group>
          {!subject && !(caregiver && linked.isPending) && (
            <Alert color="blue" variant="outline">
              {caregiver ? t('noLinkedPatients') : t('noOwnRecord')}
            </Alert>
          )}
          {subject && (
            <Suspense fallback={<PageSkeleton />}>
              <Switch>
                <Route path="/portal">
                  <MyHealthPage subject={subject} title={nav[0].label} />
                </Route>
                <Route path="/portal/questionnaires">
                  <QuestionnairesPage subject={subject} title={t('questionnaires')} />
                </Route>
                <Route path="/portal/access-log">
                  <AccessLogPage subject={subject} caregiver={caregiver} title={nav[2].label} />
                </Route>
                <Route>
                  <Redirect to="/portal" replace />
                </Route>
              </Switch>
            </Suspense>
          )}
        </Stack>
      </AppShell.Main>
    </AppShell>
  );
}

function LanguageSwitch(props: { language: Language; onChange(l: Language): void; label: string }) {
  const options: { value: Language; label: string }[] = [
    { value: 'en', label: 'English' },
    { value: 'es', label: 'Español' },
  ];
  return (
    <Group gap={2} role="group" aria-label={props.label} wrap="nowrap">
      {options.map((o) => (
        <Button
          key={o.value}
          lang={o.value}
          size="sm"
          px="xs"
          variant={props.language === o.value ? 'filled' : 'subtle'}
          aria-pressed={props.language === o.value}
          onClick={() => props.onChange(o.value)}
        >
          {o.label}
        </Button>
      ))}
    </Group>
  );
}

function CaregiverSwitch(props: {
  loading: boolean;
  error?: string;
  patients: MyPatient[];
  current?: MyPatient;
  onChange(id: string): void;
  t: ReturnType<typeof usePortalLanguage>['t'];
}) {
  const { t } = props;
  if (props.loading) return <Skeleton height={64} />;
  if (props.error)
    return (
      <Alert color="red" role="alert">
        {t('loadFailed')}
      </Alert>
    );
  if (props.patients.length === 0) return null;
  return (
    <Stack
      gap={4}
      p="sm"
      bg="blue.0"
      style={{ borderRadius: 8, border: '2px solid var(--mantine-color-blue-8)' }}
      data-testid="viewing-switch"
    >
      <NativeSelect
        label={`${t('viewingRecordOf')}:`}
        description={props.patients.length > 1 ? t('chooseRecord') : undefined}
        size="md"
        value={props.current?.id}
        onChange={(e) => props.onChange(e.currentTarget.value)}
        data={props.patients.map((p) => ({
          value: p.id,
          label: p.relationship ? `${p.name} (${p.relationship})` : p.name,
        }))}
        styles={{ label: { fontWeight: 700 } }}
      />
    </Stack>
  );
}
