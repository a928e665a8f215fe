/**
 * The chart's care team: members, their roles and the lead, read from /api/patients/:id/care-team,
 * with an edit flow (change roles, choose the lead, remove, add a practitioner found by name) that
 * saves the whole team with PUT and an optional reason for the audit trail.
 */
import {
  ActionIcon,
  Alert,
  Anchor,
  Button,
  Group,
  Modal,
  NativeSelect,
  Paper,
  Radio,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { get, query } from '../api';
import { type Bundle, formatDate, humanName, type Patient, resources } from '../fhir-format';
import { useSubmit } from '../use-submit';
import {
  type CareTeamAnswer,
  type CareTeamMember,
  careTeamPath,
  careTeamRoles,
  saveCareTeam,
} from '../workspace/workspace-api';

export function CareTeamSection({ patientId }: { patientId: string }) {
  const team = useQuery({
    queryKey: ['care-team', patientId],
    queryFn: ({ signal }) => get<CareTeamAnswer>(careTeamPath(patientId), signal),
  });
  const [editing, setEditing] = useState(false);
  const members = (team.data?.members ?? []).filter((m) => !m.reference.startsWith('Patient/'));
  return (
    <Paper withBorder p="sm" component="section" aria-labelledby="care-team-heading" data-testid="care-team">
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={2} size="h5" id="care-team-heading">
            Care team
            {!team.isPending && !team.error && (
              <Text span c="dimmed" size="sm" fw={400}>
                {' '}
                ({members.length})
              </Text>
            )}
          </Title>
          {!team.isPending && !team.error && (
            <Button size="compact-xs" variant="default" onClick={() => setEditing(true)}>
              Edit team
            </Button>
          )}
        </Group>
        {team.isPending && (
          <Stack gap={6} aria-label="Loading care team">
            <Skeleton height={12} />
            <Skeleton height={12} width="70%" />
          </Stack>
        )}
        {team.error && (
          <Alert color="red" role="alert" p="xs">
            {team.error.message}{' '}
            <Anchor component="button" size="sm" onClick={() => void team.refetch()}>
              Try again
            </Anchor>
          </Alert>
        )}
        {!team.isPending && !team.error && members.length === 0 && (
          <Text size="sm" c="dimmed">
            No care team yet. Use “Edit team” to add the people who coordinate this patient’s care and pick a
            lead.
          </Text>
        )}
        {members.length > 0 && (
          <Table aria-label="Care team" fz="sm" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Member</Table.Th>
                <Table.Th scope="col">Role</Table.Th>
                <Table.Th scope="col">Since</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.map((m) => (
                <Table.Tr key={m.reference + m.role}>
                  <Table.Td>
                    {m.display}
                    {m.lead && (
                      <Text span size="xs" fw={700} ml={6} data-testid="care-team-lead">
                        <span aria-hidden="true">★ </span>Lead
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{m.role}</Table.Td>
                  <Table.Td>{formatDate(m.period?.start) || '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
      {editing && team.data && (
        <EditCareTeam patientId={patientId} members={members} onClose={() => setEditing(false)} />
      )}
    </Paper>
  );
}

interface Draft {
  reference: string;
  display: string;
  role: string;
  period?: { start?: string; end?: string };
}

function EditCareTeam(props: { patientId: string; members: CareTeamMember[]; onClose(): void }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft[]>(
    props.members.map((m) => ({
      reference: m.reference,
      display: m.display,
      role:
        m.roleCode ?? careTeamRoles.find((r) => m.role.startsWith(r.label))?.value ?? careTeamRoles[0].value,
      period: m.period,
    })),
  );
  const [lead, setLead] = useState(props.members.find((m) => m.lead)?.reference ?? '');
  const [reason, setReason] = useState('');
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const { busy, error, submit } = useSubmit();
  const found = useQuery({
    queryKey: ['practitioners', debounced],
    queryFn: ({ signal }) =>
      get<Bundle<Patient>>(`/fhir/Practitioner${query({ name: debounced, _count: 8 })}`, signal),
    enabled: debounced.length >= 2,
  });
  const roleOptions = careTeamRoles.map((r) => ({ value: r.value, label: r.label }));

  return (
    <Modal opened onClose={props.onClose} title="Edit care team" size="lg">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await submit(async () => {
            const saved = await saveCareTeam(props.patientId, {
              members: draft.map((d) => ({
                reference: d.reference,
                role: d.role,
                period: d.period,
                lead: d.reference === lead,
              })),
              reason: reason.trim() || undefined,
            });
            client.setQueryData(['care-team', props.patientId], saved);
            void client.invalidateQueries({ queryKey: ['fhir'] });
            props.onClose();
          });
        }}
      >
        <Stack gap="sm">
          <Radio.Group label="Members (choose the lead)" value={lead} onChange={setLead}>
            <Stack gap={6} mt={4}>
              {draft.map((d, i) => (
                <Group key={d.reference} gap="xs" wrap="nowrap">
                  <Radio
                    value={d.reference}
                    label={d.display}
                    aria-label={`${d.display} leads the team`}
                    w={220}
                  />
                  <NativeSelect
                    size="xs"
                    aria-label={`Role of ${d.display}`}
                    value={d.role}
                    data={
                      roleOptions.some((o) => o.value === d.role)
                        ? roleOptions
                        : [{ value: d.role, label: d.role }, ...roleOptions]
                    }
                    onChange={(e) => {
                      const role = e.currentTarget.value;
                      setDraft((all) => all.map((x, j) => (j === i ? { ...x, role } : x)));
                    }}
                  />
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    aria-label={`Remove ${d.display}`}
                    onClick={() => setDraft((all) => all.filter((_, j) => j !== i))}
                  >
                    <span aria-hidden="true">✕</span>
                  </ActionIcon>
                </Group>
              ))}
            </Stack>
          </Radio.Group>
          <TextInput
            label="Add a practitioner"
            description="Search by name, then choose."
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            type="search"
          />
          {resources(found.data)
            .filter((p) => !draft.some((d) => d.reference === `Practitioner/${p.id}`))
            .map((p) => (
              <Group key={p.id} gap="xs">
                <Text size="sm">{humanName(p.name)}</Text>
                <Button
                  size="compact-xs"
                  variant="light"
                  onClick={() =>
                    setDraft((all) => [
                      ...all,
                      {
                        reference: `Practitioner/${p.id}`,
                        display: humanName(p.name),
                        role: careTeamRoles[2].value,
                      },
                    ])
                  }
                >
                  Add<span className="visually-hidden"> {humanName(p.name)}</span>
                </Button>
              </Group>
            ))}
          <Textarea
            label="Reason (optional)"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            autosize
            minRows={1}
          />
          {error && (
            <Alert color="red" role="alert" p="xs">
              {error}
            </Alert>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Save team
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
