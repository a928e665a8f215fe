/**
 * PHQ-9 or GAD-7 over time: the totals as a line against the remission line (< 5) and the severity
 * cut-off (10), each point marked in words when it is a treatment response (>= 50 % below the
 * episode's baseline) or a remission; the same numbers as a table for screen readers.
 */
import { Skeleton, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Suspense } from 'react';
import { get } from '../api';
import { formatDate } from '../fhir-format';
import { lazyNamed } from '../lazy-page';
import { type TrendPoint, trendPath } from './assessments-api';

// The chart library loads with the first trend drawn, not with the chart page (nor the app).
const ScoreLineChart = lazyNamed(() => import('./score-line-chart'), 'ScoreLineChart');

const max = { 'phq-9': 27, 'gad-7': 21 } as const;

function mark(p: TrendPoint): string {
  if (p.remission) return 'remission';
  if (p.response) return 'response';
  if (p.episodeStart) return 'baseline';
  return '';
}

export function ScoreTrend({ patientId, instrument }: { patientId: string; instrument: 'phq-9' | 'gad-7' }) {
  const trend = useQuery({
    queryKey: ['assessment-trend', patientId, instrument],
    queryFn: ({ signal }) => get<{ points: TrendPoint[] }>(trendPath(patientId, instrument), signal),
  });
  const points = trend.data?.points ?? [];
  const label = instrument === 'phq-9' ? 'PHQ-9' : 'GAD-7';
  if (trend.isPending || points.length === 0)
    return (
      <Text size="sm" c="dimmed">
        {trend.isPending ? `Loading ${label}…` : `No ${label} scores yet.`}
      </Text>
    );
  const data = points.map((p) => ({ date: formatDate(p.date), total: p.total, mark: mark(p) }));
  const last = points[points.length - 1]!;
  return (
    <Stack gap={4} data-testid={`trend-${instrument}`}>
      <Text size="sm" fw={600}>
        {label}: latest {last.total}
        {last.band ? ` (${last.band})` : ''}
        {last.remission ? ' · in remission' : last.response ? ' · treatment response' : ''}
      </Text>
      <div aria-hidden="true" style={{ width: '100%', height: 160 }}>
        <Suspense fallback={<Skeleton height={160} />}>
          <ScoreLineChart data={data} max={max[instrument]} />
        </Suspense>
      </div>
      <VisuallyHidden>
        <Table>
          <caption>{label} scores over time</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Date</Table.Th>
              <Table.Th scope="col">Total</Table.Th>
              <Table.Th scope="col">Marked</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {points.map((p) => (
              <Table.Tr key={`${p.date}-${p.total}`}>
                <Table.Td>{formatDate(p.date)}</Table.Td>
                <Table.Td>{p.total}</Table.Td>
                <Table.Td>{mark(p)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </VisuallyHidden>
      <Text size="xs" c="dimmed" data-testid="trend-marks">
        {points
          .filter((p) => p.response || p.remission)
          .map((p) => `${formatDate(p.date)}: ${p.remission ? 'remission' : 'response'}`)
          .join(' · ') || 'No response or remission yet.'}
      </Text>
    </Stack>
  );
}
