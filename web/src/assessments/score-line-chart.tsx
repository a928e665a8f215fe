/**
 * The drawing of PHQ-9 or GAD-7 totals over time (recharts): the line against the severity cut-off
 * (10) and the remission line (< 5), response and remission points drawn larger. Its own chunk,
 * loaded by score-trend.tsx when there are scores to draw; the words and the table for screen
 * readers stay there.
 */
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
import { tone } from '../theme';

/** The points (date in words, total, "response" / "remission" / "baseline" / ''), and the scale's top. */
export function ScoreLineChart({
  data,
  max,
}: {
  data: { date: string; total: number; mark: string }[];
  max: number;
}) {
  return (
    <ResponsiveContainer>
      <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: -20 }} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="date" fontSize={11} />
        <YAxis domain={[0, max]} fontSize={11} />
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
  );
}
