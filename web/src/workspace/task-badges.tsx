/**
 * How task facts look everywhere in the workspace: status, priority, due and risk are each said in
 * words, with a symbol (hidden from screen readers) and a tone that only repeat the words.
 */
import { Stack, Text, Tooltip } from '@mantine/core';
import { formatDate, formatDateTime } from '../fhir-format';
import { tone } from '../theme';
import { priorityLabels, statusLabels } from './workspace-api';

const statusSymbols: Record<string, string> = {
  requested: '○',
  received: '○',
  accepted: '◔',
  ready: '◔',
  'in-progress': '◑',
  'on-hold': '‖',
  completed: '✓',
  cancelled: '✕',
  rejected: '✕',
  failed: '✕',
};

function Glyph({ children }: { children: string }) {
  return (
    <span aria-hidden="true" style={{ display: 'inline-block', width: '1.1em', textAlign: 'center' }}>
      {children}
    </span>
  );
}

export function TaskStatus({ status, size = 'sm' }: { status: string; size?: 'xs' | 'sm' }) {
  const color =
    status === 'completed' ? tone.ok : status === 'on-hold' || status === 'failed' ? tone.warn : tone.neutral;
  return (
    <Text span size={size} c={color} style={{ whiteSpace: 'nowrap' }} data-testid="task-status">
      <Glyph>{statusSymbols[status] ?? '•'}</Glyph> {statusLabels[status] ?? status}
    </Text>
  );
}

export function TaskPriority({ priority }: { priority: string | undefined }) {
  const p = priority ?? 'routine';
  const high = p === 'stat' || p === 'asap';
  return (
    <Text
      span
      size="sm"
      fw={p === 'routine' ? 400 : 700}
      c={high ? tone.danger : p === 'urgent' ? tone.warn : tone.neutral}
      style={{ whiteSpace: 'nowrap' }}
    >
      {p !== 'routine' && <Glyph>{high ? '‼' : '!'}</Glyph>}
      {priorityLabels[p] ?? p}
    </Text>
  );
}

const DAY = 86_400_000;

/** Whole calendar days from now until `iso` (negative when past), in the browser's zone. */
export function daysUntil(iso: string, now = new Date()): number {
  const due = new Date(iso);
  const a = Date.UTC(due.getFullYear(), due.getMonth(), due.getDate());
  const b = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((a - b) / DAY);
}

/** "3 d overdue", "due today", "in 2 d": the words for a deadline. */
export function relativeDue(dueAt: string | undefined, overdueDays?: number, now = new Date()): string {
  if (!dueAt) return 'No due date';
  const days = overdueDays && overdueDays > 0 ? -overdueDays : daysUntil(dueAt, now);
  if (days < 0) return `${-days} d overdue`;
  if (days === 0) return new Date(dueAt).getTime() < now.getTime() ? 'Overdue today' : 'Due today';
  if (days === 1) return 'Tomorrow';
  return `in ${days} d`;
}

export function TaskDue({
  dueAt,
  overdueDays,
  compact,
}: {
  dueAt: string | undefined;
  overdueDays?: number;
  compact?: boolean;
}) {
  const words = relativeDue(dueAt, overdueDays);
  const late = words.includes('verdue');
  const today = words === 'Due today';
  return (
    <Stack gap={0}>
      <Text
        span
        size="sm"
        fw={late || today ? 700 : 400}
        c={late ? tone.danger : today ? tone.warn : undefined}
        style={{ whiteSpace: 'nowrap' }}
      >
        {late && <Glyph>⚠</Glyph>}
        {words}
      </Text>
      {dueAt && !compact && (
        <Tooltip label={formatDateTime(dueAt)}>
          <Text span size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
            {formatDate(dueAt)}
          </Text>
        </Tooltip>
      )}
    </Stack>
  );
}

export function RiskTier({ tier }: { tier: string | undefined }) {
  if (!tier)
    return (
      <Text span size="sm" c="dimmed">
        Not scored
      </Text>
    );
  const high = /high|very/i.test(tier);
  return (
    <Text
      span
      size="sm"
      fw={high ? 700 : 400}
      c={high ? tone.danger : undefined}
      style={{ whiteSpace: 'nowrap' }}
    >
      {high && <Glyph>▲</Glyph>}
      {tier.charAt(0).toUpperCase() + tier.slice(1)}
    </Text>
  );
}
