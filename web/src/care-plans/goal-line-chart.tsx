/**
 * The drawing of a goal's measured series against its target line (recharts). Its own chunk, loaded
 * by goal-chart.tsx when a goal has a measurement to draw; the words and the table for screen readers
 * stay in goal-chart.tsx.
 */
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatDate } from '../fhir-format';
import { tone } from '../theme';

/** The series (time in ms, value), the y range, the target lines (and the side where it is met) and how the first is labelled. */
export function GoalLineChart(props: {
  data: { t: number; value: number }[];
  domain: number[];
  span: number;
  lines: number[];
  /** Where the target is met (one bound for a threshold): that side of the chart is shaded. */
  bounds: { low?: number; high?: number };
  unit: string;
  targetLabel: string;
}) {
  const { data, domain, span, lines, bounds, unit } = props;
  return (
    <ResponsiveContainer width="100%" height={130}>
      <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} accessibilityLayer={false}>
        <CartesianGrid stroke="#e9ecef" vertical={false} />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={['dataMin', 'dataMax']}
          tickFormatter={(t: number) =>
            new Date(t).toLocaleDateString('en-US', { month: 'short', year: '2-digit' })
          }
          tick={{ fontSize: 11, fill: '#495057' }}
          minTickGap={24}
        />
        <YAxis
          domain={domain}
          tick={{ fontSize: 11, fill: '#495057' }}
          tickFormatter={(v: number) => (span > 10 ? String(Math.round(v)) : v.toFixed(1))}
          width={40}
        />
        <Tooltip
          labelFormatter={(t) => formatDate(new Date(Number(t)).toISOString())}
          formatter={(v) => [`${v} ${unit}`, 'Value']}
        />
        {lines.length > 0 && bounds.low !== bounds.high && (
          <ReferenceArea
            y1={bounds.low ?? domain[0]}
            y2={bounds.high ?? domain[1]}
            fill={tone.ok}
            fillOpacity={0.08}
            ifOverflow="hidden"
          />
        )}
        {lines.map((y, i) => (
          <ReferenceLine
            key={y}
            y={y}
            stroke={tone.ok}
            strokeDasharray="5 4"
            label={
              i === 0
                ? { value: props.targetLabel, position: 'insideTopRight', fontSize: 11, fill: tone.ok }
                : undefined
            }
          />
        ))}
        <Line
          type="linear"
          dataKey="value"
          stroke="#1864ab"
          strokeWidth={2}
          dot={{ r: 3 }}
          isAnimationActive={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}
