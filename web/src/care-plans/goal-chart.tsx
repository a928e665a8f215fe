/**
 * A goal's progress: the measured series as a small line chart against the target line, the status in
 * words with its explanation, and — for screen readers — the same numbers as a visually hidden table
 * (the chart itself is hidden from them, since a picture of a line says nothing aloud).
 */
import { Badge, Group, Skeleton, Stack, Text } from '@mantine/core';
import { Suspense } from 'react';
import { formatDate } from '../fhir-format';
import { lazyNamed } from '../lazy-page';
import { tone } from '../theme';
import {
  type GoalProgress,
  type GoalStatus,
  targetBounds,
  targetText,
  unitText,
} from '../workspace/workspace-api';

// The chart library loads with the first chart drawn, not with the page (nor the app).
const GoalLineChart = lazyNamed(() => import('./goal-line-chart'), 'GoalLineChart');

const statusWords: Record<GoalStatus, { label: string; symbol: string; color: string }> = {
  achieved: { label: 'Achieved', symbol: '✓', color: tone.ok },
  improving: { label: 'Improving', symbol: '↗', color: tone.info },
  worsening: { label: 'Worsening', symbol: '↘', color: tone.danger },
  'no-change': { label: 'No change', symbol: '→', color: tone.neutral },
  'no-data': { label: 'No data yet', symbol: '?', color: tone.neutral },
};

export function GoalStatusBadge({ status }: { status: GoalStatus }) {
  const s = statusWords[status] ?? statusWords['no-data'];
  return (
    <Badge variant="outline" color={s.color} tt="none" data-testid="goal-status">
      <span aria-hidden="true">{s.symbol} </span>
      {s.label}
    </Badge>
  );
}

export function GoalProgressView({ description, progress }: { description: string; progress: GoalProgress }) {
  const parts = progress.measures && progress.measures.length > 1 ? progress.measures : [progress];
  return (
    <Stack gap={4} data-testid="goal">
      <Group justify="space-between" wrap="nowrap" align="flex-start" gap="xs">
        <Text size="sm" fw={600}>
          {description}
        </Text>
        <GoalStatusBadge status={progress.status} />
      </Group>
      <Text size="sm" data-testid="goal-explanation">
        {progress.explanation}
      </Text>
      {parts.map((part) => (
        <MeasureChart
          key={part.measure?.loinc ?? 'only'}
          label={parts.length > 1 ? (part.measure?.display ?? description) : description}
          progress={part}
        />
      ))}
    </Stack>
  );
}

/** One measure's series against its target: a line chart for the eye and a table for screen readers. */
function MeasureChart({ label, progress }: { label: string; progress: GoalProgress }) {
  // A threshold draws one line and a range two; the side where the target is met is shaded, so a
  // one-sided target (≤ 8 %, ≥ 60) shows which way is good.
  const bounds = targetBounds(progress.target);
  const lines = [...new Set([bounds.low, bounds.high].filter((v): v is number => v !== undefined))];
  const data = [...progress.series]
    .sort((a, b) => a.date.localeCompare(b.date))
    .map((p) => ({ date: p.date, t: new Date(p.date).getTime(), value: p.value }));
  const targetUnit = progress.target && 'unit' in progress.target ? progress.target.unit : undefined;
  const unit = unitText(progress.latest?.unit ?? targetUnit);
  const values = data.map((d) => d.value).concat(lines);
  const min = values.length ? Math.min(...values) : 0;
  const max = values.length ? Math.max(...values) : 1;
  const pad = (max - min || Math.abs(max) || 1) * 0.15;
  const span = max - min + 2 * pad;
  // Whole numbers for wide ranges (blood pressure), one decimal for narrow ones (HbA1c).
  const domain =
    span > 10
      ? [Math.floor(min - pad), Math.ceil(max + pad)]
      : [Math.floor((min - pad) * 10) / 10, Math.ceil((max + pad) * 10) / 10];
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed">
        {label !== progress.measure?.display && progress.measure ? `${progress.measure.display}: ` : ''}
        Target {targetText(progress.target)}
        {progress.latest &&
          ` · latest ${progress.latest.value} ${unit} on ${formatDate(progress.latest.date)}`}
      </Text>
      {data.length === 0 && (
        <Text size="xs" c="dimmed">
          No results yet: the chart appears with the first measurement.
        </Text>
      )}
      {data.length > 0 && (
        <>
          <div aria-hidden="true" className="goal-chart" data-testid="goal-chart">
            <Suspense fallback={<Skeleton height={130} />}>
              <GoalLineChart
                data={data}
                domain={domain}
                span={span}
                lines={lines}
                bounds={bounds}
                unit={unit}
                targetLabel={`target ${targetText(progress.target)}`}
              />
            </Suspense>
          </div>
          <table className="visually-hidden" data-testid="goal-table">
            <caption>
              {label}: measured values against the target {targetText(progress.target)}
            </caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {data.map((d) => (
                <tr key={d.date}>
                  <td>{formatDate(d.date)}</td>
                  <td>
                    {d.value} {unit}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Stack>
  );
}
