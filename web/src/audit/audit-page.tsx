/**
 * Audit (privacy officer, admin): the audit trail newest first, filtered by patient, actor, action and
 * outcome, 50 at a time ("Older" follows the server's `next` cursor); "Verify chain" checks the hash
 * chain and names the first broken entry if any.
 */

import {
  Alert,
  Badge,
  Button,
  Group,
  Select,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { get, query } from '../api';
import { formatDateTime } from '../fhir-format';
import { type Role, roleLabels } from '../roles';
import { tone } from '../theme';

interface AuditEventRow {
  seq: number;
  recorded: string;
  action: string;
  outcome: string;
  actor: string;
  role?: string | null;
  patientIds?: string[] | null;
  resources?: string[] | null;
  purposeOfUse?: string | null;
  clientAddress?: string | null;
  detail?: string | null;
  onBehalfOf?: string | null;
}

interface Filters {
  patient: string;
  actor: string;
  action: string;
  outcome: string;
}

const empty: Filters = { patient: '', actor: '', action: '', outcome: '' };
const LIMIT = 50;

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  // Cursors of the pages seen so far, so "Newer" can go back.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const events = useQuery({
    queryKey: ['audit', filters, before],
    queryFn: ({ signal }) =>
      get<{ events: AuditEventRow[]; next?: number }>(
        `/audit/events${query({ ...filters, before, limit: LIMIT })}`,
        signal,
      ),
    placeholderData: keepPreviousData,
  });
  const verify = useMutation({
    mutationFn: () => get<{ entries: number; broken?: { seq: number; reason: string } }>('/audit/verify'),
  });

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters({
      patient: draft.patient.trim(),
      actor: draft.actor.trim(),
      action: draft.action.trim(),
      outcome: draft.outcome,
    });
    setCursors([undefined]);
  }

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="center">
        <Title order={1} size="h3">
          Audit trail
        </Title>
        <Button size="xs" variant="default" loading={verify.isPending} onClick={() => verify.mutate()}>
          Verify chain
        </Button>
      </Group>
      {verify.data && !verify.data.broken && (
        <Alert color="green" role="status" title="The audit chain is intact" data-testid="verify-result">
          All {verify.data.entries.toLocaleString('en-US')} entries link to the one before; none was changed
          or removed.
        </Alert>
      )}
      {verify.data?.broken && (
        <Alert color="red" role="alert" title="The audit chain is broken" data-testid="verify-result">
          Entry {verify.data.broken.seq}: {verify.data.broken.reason}. Entries from there on cannot be
          trusted; report this to the security team.
        </Alert>
      )}
      {verify.error && (
        <Alert color="red" role="alert">
          {verify.error.message}
        </Alert>
      )}
      <form onSubmit={apply} aria-label="Filter audit events">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label="Patient"
            placeholder="Patient id"
            size="xs"
            value={draft.patient}
            onChange={(e) => setDraft({ ...draft, patient: e.currentTarget.value })}
          />
          <TextInput
            label="Actor"
            placeholder="e.g. Practitioner/12"
            size="xs"
            value={draft.actor}
            onChange={(e) => setDraft({ ...draft, actor: e.currentTarget.value })}
          />
          <TextInput
            label="Action"
            placeholder="e.g. read, search, sign-in"
            size="xs"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}
          />
          <Select
            label="Outcome"
            size="xs"
            w={140}
            data={[
              { value: '', label: 'Any' },
              { value: 'success', label: 'Success' },
              { value: 'failure', label: 'Failure' },
            ]}
            value={draft.outcome}
            onChange={(v) => setDraft({ ...draft, outcome: v ?? '' })}
            allowDeselect={false}
          />
          <Button type="submit" size="xs">
            Apply filters
          </Button>
          <Button
            size="xs"
            variant="subtle"
            onClick={() => {
              setDraft(empty);
              setFilters(empty);
              setCursors([undefined]);
            }}
          >
            Clear
          </Button>
        </Group>
      </form>
      {events.error && (
        <Alert color="red" role="alert" title="The audit trail could not be loaded">
          {events.error.message}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={900}>
        <Table striped aria-label="Audit events" fz="sm" aria-busy={events.isFetching}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">#</Table.Th>
              <Table.Th scope="col">Recorded</Table.Th>
              <Table.Th scope="col">Actor</Table.Th>
              <Table.Th scope="col">Action</Table.Th>
              <Table.Th scope="col">Outcome</Table.Th>
              <Table.Th scope="col">Patients</Table.Th>
              <Table.Th scope="col">Purpose</Table.Th>
              <Table.Th scope="col">Detail</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.isPending &&
              Array.from({ length: 8 }, (_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
                <Table.Tr key={i}>
                  <Table.Td colSpan={8}>
                    <Skeleton height={14} />
                  </Table.Td>
                </Table.Tr>
              ))}
            {events.data?.events.map((e) => (
              <Table.Tr key={e.seq} data-testid="audit-row">
                <Table.Td ff="monospace">{e.seq}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.recorded)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{e.actor}</Text>
                  {e.role && (
                    <Text size="xs" c="dimmed">
                      {roleLabels[e.role as Role] ?? e.role}
                      {e.onBehalfOf ? ` for ${e.onBehalfOf}` : ''}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{e.action}</Table.Td>
                <Table.Td>
                  {e.outcome === 'success' ? (
                    e.outcome
                  ) : (
                    <Text span size="sm" fw={700} c={tone.danger}>
                      ✗ {e.outcome}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{e.patientIds?.join(', ') || '—'}</Table.Td>
                <Table.Td>
                  {e.purposeOfUse === 'ETREAT' ? (
                    <Badge color={tone.danger} variant="filled">
                      ETREAT (emergency)
                    </Badge>
                  ) : (
                    (e.purposeOfUse ?? '—')
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{[e.detail, e.resources?.join(', ')].filter(Boolean).join(' · ')}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {events.data && events.data.events.length === 0 && (
        <Text c="dimmed">No audit events match these filters.</Text>
      )}
      <Group gap="xs" component="nav" aria-label="Pages of audit events">
        <Button
          size="xs"
          variant="default"
          disabled={cursors.length <= 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </Button>
        <Button
          size="xs"
          variant="default"
          disabled={events.data?.next === undefined || events.data?.next === null}
          onClick={() => setCursors([...cursors, events.data!.next])}
        >
          Older
        </Button>
      </Group>
    </Stack>
  );
}
