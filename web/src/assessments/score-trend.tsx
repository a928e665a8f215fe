/**
 * PHQ-9 or GAD-7 over time: the totals as a line against the remission line (< 5) and the severity
 * cut-off (10), each point marked in words when it is a treatment response (>= 50 % below the
 * episode's baseline) or a remission; the same numbers as a table for screen readers.
 */
import { Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { get } from '../api';
import { formatDate } from '../fhir-format';
import { tone } from '../theme';
import { type TrendPoint, trendPath } from './assessments-api';

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
        <ResponsiveContainer>
          <LineChart
            data={data}
            margin={{ top: 8, right: 12, bottom: 0, left: -20 }}
            accessibilityLayer={false}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" fontSize={11} />
            <YAxis domain={[0, max[instrument]]} fontSize={11} />
            <Tooltip />
            <ReferenceLine
              y={10}
              stroke={tone.warn}
              strokeDasharray="4 4"
              label={{ value: '10', fontSize: 10 }}
            />
            <ReferenceLine
              y={5}
              stroke={tone.ok}
              strokeDasharray="4 4"
              label={{ value: 'remission < 5', fontSize: 10 }}
            />
            <Line
              type="monotone"
              dataKey="total"
              stroke={tone.info}
              strokeWidth={2}
              dot={(props: { cx?: number; cy?: number; payload?: { mark: string }; index?: number }) => (
                <circle
                  key={props.index}
                  cx={props.cx}
                  cy={props.cy}
                  r={props.payload?.mark === 'remission' || props.payload?.mark === 'response' ? 6 : 3}
                  fill={
                    props.payload?.mark === 'remission'
                      ? tone.ok
                      : props.payload?.mark === 'response'
                        ? tone.info
                        : '#fff'
                  }
                  stroke={tone.info}
                />
              )}
            />
          </LineChart>
        </ResponsiveContainer>
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
