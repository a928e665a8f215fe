/**
 * The chart's timeline: encounters, observations (results, vital signs, assessments), problems (by
 * onset) and medication orders (by date ordered) in one stream, newest first, with type filters as
 * checkbox chips. Each source is a FHIR search; a source that fails says so without hiding the rest.
 */
import { Alert, Anchor, Badge, Chip, Group, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { useState } from 'react';
import { get } from '../api';
import {
  type Bundle,
  type CodeableConcept,
  conceptText,
  formatDate,
  observationValue,
  type Reference,
  type Resource,
  resources,
} from '../fhir-format';
import { tone } from '../theme';

type Kind = 'encounter' | 'observation' | 'condition' | 'medication';

interface Entry {
  key: string;
  kind: Kind;
  date?: string;
  title: string;
  detail: string;
}

const kinds: { kind: Kind; label: string; plural: string }[] = [
  { kind: 'encounter', label: 'Encounter', plural: 'Encounters' },
  { kind: 'observation', label: 'Result', plural: 'Results' },
  { kind: 'condition', label: 'Problem', plural: 'Problems' },
  { kind: 'medication', label: 'Medication', plural: 'Medications' },
];

/** Tones dark enough for 4.5:1 on white; the type is always said in words too. */
const kindColor: Record<Kind, string> = {
  encounter: tone.info,
  observation: tone.ok,
  condition: tone.neutral,
  medication: tone.warn,
};

function toEntry(kind: Kind, r: Resource): Entry {
  const key = `${kind}-${r.id}`;
  switch (kind) {
    case 'encounter':
      return {
        key,
        kind,
        date: (r.period as { start?: string } | undefined)?.start,
        title:
          conceptText(r.type as CodeableConcept[]) ||
          ((r.class as { display?: string } | undefined)?.display ?? 'Encounter'),
        detail: conceptText(r.reasonCode as CodeableConcept[]),
      };
    case 'observation':
      return {
        key,
        kind,
        date: (r.effectiveDateTime as string) ?? (r.issued as string),
        title: conceptText(r.code as CodeableConcept) || 'Observation',
        detail: observationValue(r),
      };
    case 'condition':
      return {
        key,
        kind,
        date: (r.onsetDateTime as string) ?? (r.recordedDate as string),
        title: conceptText(r.code as CodeableConcept) || 'Unnamed problem',
        detail: conceptText(r.clinicalStatus as CodeableConcept)
          ? `Status: ${conceptText(r.clinicalStatus as CodeableConcept)}`
          : '',
      };
    case 'medication':
      return {
        key,
        kind,
        date: r.authoredOn as string,
        title:
          conceptText(r.medicationCodeableConcept as CodeableConcept) ||
          (r.medicationReference as Reference | undefined)?.display ||
          'Unnamed medication',
        detail: [
          r.status ? `Status: ${r.status as string}` : '',
          (r.dosageInstruction as { text?: string }[] | undefined)?.[0]?.text ?? '',
        ]
          .filter(Boolean)
          .join(' · '),
      };
  }
}

/** "3 months ago" (or "in 2 days") beside the calendar date. */
export function relativeWords(value: string | undefined, now = Date.now()): string {
  if (!value) return '';
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return '';
  const days = Math.round((t - now) / 86_400_000);
  const rtf = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });
  const abs = Math.abs(days);
  if (abs < 31) return rtf.format(days, 'day');
  if (abs < 365) return rtf.format(Math.round(days / 30.4), 'month');
  return rtf.format(Math.round(days / 365.25), 'year');
}

export function TimelineSection({ patientId }: { patientId: string }) {
  const pid = encodeURIComponent(patientId);
  const sources: { kind: Kind; path: string }[] = [
    { kind: 'encounter', path: `/fhir/Encounter?patient=${pid}&_sort=-date&_count=50` },
    { kind: 'observation', path: `/fhir/Observation?patient=${pid}&_sort=-date&_count=50` },
    { kind: 'condition', path: `/fhir/Condition?patient=${pid}&_count=100` },
    { kind: 'medication', path: `/fhir/MedicationRequest?patient=${pid}&_count=100` },
  ];
  const results = useQueries({
    queries: sources.map((s) => ({
      queryKey: ['fhir', s.path],
      queryFn: ({ signal }: { signal: AbortSignal }) => get<Bundle<Resource>>(s.path, signal),
    })),
  });
  const [shown, setShown] = useState<string[]>(kinds.map((k) => k.kind));
  const pending = results.some((r) => r.isPending && !r.error);
  const failed = sources.filter((_, i) => results[i]?.error);
  const entries = sources
    .flatMap((s, i) => resources(results[i]?.data).map((r) => toEntry(s.kind, r)))
    .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
  const visible = entries.filter((e) => shown.includes(e.kind));
  const count = (kind: Kind) => entries.filter((e) => e.kind === kind).length;
  const hidden = kinds.filter((k) => !shown.includes(k.kind)).map((k) => k.plural.toLowerCase());

  return (
    <Paper withBorder p="sm" component="section" aria-labelledby="timeline-heading" data-testid="timeline">
      <Stack gap="xs">
        <Title order={2} size="h5" id="timeline-heading">
          Timeline
          {!pending && (
            <Text span c="dimmed" size="sm" fw={400}>
              {' '}
              ({visible.length === entries.length ? entries.length : `${visible.length} of ${entries.length}`}
              )
            </Text>
          )}
        </Title>
        <Chip.Group multiple value={shown} onChange={setShown}>
          <Group gap={6} role="group" aria-label="Show in the timeline">
            {kinds.map((k) => (
              <Chip key={k.kind} value={k.kind} size="xs" variant="outline">
                {k.plural}
                {!pending && ` (${count(k.kind)})`}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        {failed.map((s) => (
          <Alert key={s.kind} color="red" role="alert" p="xs">
            {kinds.find((k) => k.kind === s.kind)?.plural} could not be loaded:{' '}
            {results[sources.indexOf(s)]?.error?.message}{' '}
            <Anchor component="button" size="sm" onClick={() => void results[sources.indexOf(s)]?.refetch()}>
              Try again
            </Anchor>
          </Alert>
        ))}
        {pending && (
          <Stack gap={6} aria-label="Loading the timeline">
            <Skeleton height={14} />
            <Skeleton height={14} width="85%" />
            <Skeleton height={14} width="70%" />
            <Skeleton height={14} width="55%" />
          </Stack>
        )}
        {!pending && entries.length === 0 && failed.length === 0 && (
          <Text size="sm" c="dimmed">
            Nothing to show yet: no encounters, results, problems or medication orders are recorded for this
            patient.
          </Text>
        )}
        {!pending && entries.length > 0 && visible.length === 0 && (
          <Text size="sm" c="dimmed">
            Every type is filtered out. Choose at least one type above to see the timeline.
          </Text>
        )}
        {!pending && visible.length > 0 && (
          <Stack component="ol" gap={4} p={0} m={0} style={{ listStyle: 'none' }} aria-label="Timeline">
            {visible.map((e) => (
              <Group component="li" key={e.key} gap="xs" wrap="nowrap" align="flex-start">
                <Text size="sm" w={180} style={{ flexShrink: 0 }}>
                  {e.date ? (
                    <time dateTime={e.date}>
                      {formatDate(e.date)}
                      <Text span size="xs" c="dimmed" display="block">
                        {relativeWords(e.date)}
                      </Text>
                    </time>
                  ) : (
                    <Text span size="xs" c="dimmed">
                      Date not recorded
                    </Text>
                  )}
                </Text>
                <Badge
                  color={kindColor[e.kind]}
                  variant="outline"
                  tt="none"
                  w={104}
                  style={{ flexShrink: 0 }}
                >
                  {kinds.find((k) => k.kind === e.kind)?.label}
                </Badge>
                <Stack gap={0}>
                  <Text size="sm">{e.title}</Text>
                  {e.detail && (
                    <Text size="xs" c="dimmed">
                      {e.detail}
                    </Text>
                  )}
                </Stack>
              </Group>
            ))}
          </Stack>
        )}
        {!pending && hidden.length > 0 && visible.length > 0 && (
          <Text size="xs" c="dimmed">
            Hidden: {hidden.join(', ')}.
          </Text>
        )}
      </Stack>
    </Paper>
  );
}
