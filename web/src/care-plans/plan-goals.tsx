/**
 * A care plan's clinical goals: each with its progress (chart, words and a table for screen readers)
 * and an edit, plus adding a goal. Every change is a new version of the goal with the reason given
 * here, shown in the plan's revisions (PUT /api/goals/:id, POST /api/care-plans/:id/goals).
 */
import {
  Alert,
  Button,
  Group,
  Modal,
  NativeSelect,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { request } from '../api';
import { useSubmit } from '../use-submit';
import type { CarePlanView, GoalProgress } from '../workspace/workspace-api';
import { GoalProgressView } from './goal-chart';

type GoalEntry = CarePlanView['goals'][number];

export function PlanGoals(props: { planId: string; patientId: string; goals: GoalEntry[] }) {
  const [editing, setEditing] = useState<GoalEntry | 'new'>();
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={4} size="sm">
          Goals
        </Title>
        <Button size="compact-xs" variant="light" onClick={() => setEditing('new')}>
          Add goal
        </Button>
      </Group>
      {props.goals.length === 0 ? (
        <Text size="sm" c="dimmed">
          No goals on this plan.
        </Text>
      ) : (
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="sm">
          {props.goals.map((entry) => (
            <Paper key={entry.goal.id} withBorder p="xs" data-testid="goal-card">
              <Stack gap={4}>
                <GoalProgressView description={descriptionOf(entry)} progress={entry.progress} />
                <Group justify="flex-end">
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    onClick={() => setEditing(entry)}
                    aria-label={`Edit goal: ${descriptionOf(entry)}`}
                  >
                    Edit goal
                  </Button>
                </Group>
              </Stack>
            </Paper>
          ))}
        </SimpleGrid>
      )}
      {editing && (
        <GoalDialog
          planId={props.planId}
          patientId={props.patientId}
          entry={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
        />
      )}
    </Stack>
  );
}

function descriptionOf(entry: GoalEntry): string {
  return (entry.goal as { description?: { text?: string } }).description?.text ?? 'Goal';
}

type TargetKind = 'at-most' | 'at-least' | 'range' | 'text';

/** The form's starting values, read from the goal's current progress (its measure and target). */
function initialTarget(progress: GoalProgress | undefined) {
  const target = progress?.target;
  const base = {
    loinc: progress?.measure?.loinc ?? '',
    display: progress?.measure?.display ?? '',
    unit: '',
    value: '' as number | string,
    low: '' as number | string,
    high: '' as number | string,
    text: '',
    kind: 'at-most' as TargetKind,
    comparator: '',
  };
  if (!target) return base;
  if ('text' in target) return { ...base, kind: 'text' as const, text: target.text };
  if (!('comparator' in target)) {
    // A range with one bound is a threshold on it.
    if (target.low !== undefined && target.high !== undefined)
      return { ...base, kind: 'range' as const, low: target.low, high: target.high, unit: target.unit };
    const value = target.low ?? target.high ?? '';
    const kind: TargetKind = target.low !== undefined ? 'at-least' : 'at-most';
    return { ...base, kind, value, unit: target.unit, comparator: kind === 'at-least' ? '>=' : '<=' };
  }
  const kind: TargetKind = target.comparator.startsWith('>') ? 'at-least' : 'at-most';
  return { ...base, kind, value: target.value, unit: target.unit, comparator: target.comparator };
}

function GoalDialog(props: { planId: string; patientId: string; entry?: GoalEntry; onClose(): void }) {
  const client = useQueryClient();
  const start = initialTarget(props.entry?.progress);
  const [description, setDescription] = useState(props.entry ? descriptionOf(props.entry) : '');
  const [form, setForm] = useState(start);
  const [dueDate, setDueDate] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, setError, submit } = useSubmit();
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));

  function target(): Record<string, unknown> | string {
    const due = dueDate ? { dueDate } : {};
    if (form.kind === 'text') {
      return form.text.trim() ? { text: form.text.trim(), ...due } : 'Describe the target.';
    }
    if (!/^\d{1,7}-\d$/.test(form.loinc.trim())) return 'The measure needs a LOINC code such as 4548-4.';
    if (!form.unit.trim()) return 'The target needs a unit (for example %, mm[Hg], kg).';
    const measure = {
      loinc: form.loinc.trim(),
      display: form.display.trim() || undefined,
      unit: form.unit.trim(),
    };
    if (form.kind === 'range') {
      if (typeof form.low !== 'number' || typeof form.high !== 'number' || form.low > form.high)
        return 'The range needs a low value not above the high value.';
      return { ...measure, low: form.low, high: form.high, ...due };
    }
    if (typeof form.value !== 'number') return 'The target needs a value.';
    // Keep the goal's own comparator (<= stays <=) when the direction is unchanged.
    const below = form.kind === 'at-most';
    const comparator = form.comparator.startsWith(below ? '<' : '>') ? form.comparator : below ? '<' : '>=';
    return { ...measure, comparator, value: form.value, ...due };
  }

  async function save() {
    const t = target();
    if (typeof t === 'string') return setError(t);
    if (!description.trim()) return setError('Describe the goal.');
    if (props.entry && reason.trim().length < 3)
      return setError('Say why the goal changes: the reason is kept with the new version.');
    await submit(async () => {
      if (props.entry) {
        await request('PUT', `/api/goals/${encodeURIComponent(props.entry.goal.id)}`, {
          description: description.trim(),
          target: t,
          reason: reason.trim(),
        });
      } else {
        await request('POST', `/api/care-plans/${encodeURIComponent(props.planId)}/goals`, {
          description: description.trim(),
          target: t,
          reason: reason.trim() || undefined,
        });
      }
      await client.invalidateQueries({ queryKey: ['care-plans', props.patientId] });
      await client.invalidateQueries({ queryKey: ['care-plan-revisions', props.planId] });
      props.onClose();
    });
  }

  return (
    <Modal opened onClose={props.onClose} title={props.entry ? 'Edit goal' : 'Add goal'}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Stack gap="sm">
          <TextInput
            label="Goal"
            required
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <NativeSelect
            label="Target"
            value={form.kind}
            onChange={(e) => set({ kind: e.currentTarget.value as TargetKind })}
            data={[
              { value: 'at-most', label: 'A measurement below a value' },
              { value: 'at-least', label: 'A measurement at or above a value' },
              { value: 'range', label: 'A measurement within a range' },
              { value: 'text', label: 'In words (not measured)' },
            ]}
          />
          {form.kind === 'text' ? (
            <Textarea
              label="Target in words"
              value={form.text}
              onChange={(e) => set({ text: e.currentTarget.value })}
            />
          ) : (
            <>
              <Group grow>
                <TextInput
                  label="Measure (LOINC)"
                  placeholder="4548-4"
                  value={form.loinc}
                  onChange={(e) => set({ loinc: e.currentTarget.value })}
                />
                <TextInput
                  label="Unit"
                  placeholder="%"
                  value={form.unit}
                  onChange={(e) => set({ unit: e.currentTarget.value })}
                />
              </Group>
              <TextInput
                label="Measure name"
                value={form.display}
                onChange={(e) => set({ display: e.currentTarget.value })}
              />
              {form.kind === 'range' ? (
                <Group grow>
                  <NumberInput label="Low" value={form.low} onChange={(v) => set({ low: v })} />
                  <NumberInput label="High" value={form.high} onChange={(v) => set({ high: v })} />
                </Group>
              ) : (
                <NumberInput
                  label={form.kind === 'at-most' ? 'Below' : 'At least'}
                  value={form.value}
                  onChange={(v) => set({ value: v })}
                />
              )}
            </>
          )}
          <TextInput
            label="Target date (optional)"
            type="date"
            value={dueDate}
            onChange={(e) => setDueDate(e.currentTarget.value)}
          />
          <Textarea
            label={props.entry ? 'Reason for the change' : 'Reason (optional)'}
            description="Kept with the new version and shown in the plan's revisions."
            required={Boolean(props.entry)}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            autosize
            minRows={2}
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              {props.entry ? 'Save goal' : 'Add goal'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
