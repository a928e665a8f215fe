/**
 * Reassign one task or many: the new owner is chosen from the signed-in person and the care teams of
 * the tasks' patients (the people who may act on those records), with an optional reason for the
 * audit trail.
 */
import { Alert, Button, Group, Modal, NativeSelect, Stack, Text, Textarea } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { useState } from 'react';
import { get } from '../api';
import { useUser } from '../session';
import { useSubmit } from '../use-submit';
import { type CareTeamAnswer, careTeamPath } from './workspace-api';

export function ReassignDialog(props: {
  taskCount: number;
  patientIds: string[];
  onClose(): void;
  onSubmit(owner: string, reason: string): Promise<void>;
}) {
  const user = useUser();
  const patients = [...new Set(props.patientIds)].slice(0, 10);
  const teams = useQueries({
    queries: patients.map((id) => ({
      queryKey: ['care-team', id],
      queryFn: ({ signal }: { signal: AbortSignal }) => get<CareTeamAnswer>(careTeamPath(id), signal),
    })),
  });
  const options = new Map<string, string>();
  if (user.resource) options.set(user.resource, `Me (${user.name})`);
  for (const team of teams)
    for (const m of team.data?.members ?? [])
      if (!m.reference.startsWith('Patient/') && !options.has(m.reference))
        options.set(m.reference, `${m.display} — ${m.role}${m.lead ? ' (lead)' : ''}`);
  const [owner, setOwner] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, setError, submit } = useSubmit();
  const loading = teams.some((t) => t.isPending);
  const title = props.taskCount === 1 ? 'Reassign task' : `Reassign ${props.taskCount} tasks`;

  return (
    <Modal opened onClose={props.onClose} title={title}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!owner) {
            setError('Choose the new owner.');
            return;
          }
          await submit(async () => {
            await props.onSubmit(owner, reason.trim());
            props.onClose();
          });
        }}
      >
        <Stack gap="sm">
          <NativeSelect
            label="New owner"
            description={loading ? 'Loading the care team…' : 'You, or a member of the patient’s care team.'}
            value={owner}
            onChange={(e) => setOwner(e.currentTarget.value)}
            data={[
              { value: '', label: 'Choose…' },
              ...[...options].map(([value, label]) => ({ value, label })),
            ]}
            data-autofocus
          />
          <Textarea
            label="Reason (optional)"
            description="Recorded in the task’s history and the audit trail."
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            autosize
            minRows={2}
          />
          {error && (
            <Alert color="red" role="alert" p="xs">
              <Text size="sm">{error}</Text>
            </Alert>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Reassign
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
