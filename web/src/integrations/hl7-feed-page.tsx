/**
 * The HL7 feed (administrators, integration engineers): the dead-letter list first — messages that
 * were answered AE or AR, with the field and reason their ACK named — and every message on request.
 * A failed message can be replayed once its cause is fixed (the same as `careloop hl7 replay ID`);
 * one resent by the sender and processed later shows which row resolved it.
 */
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  NativeSelect,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { get, query, request } from '../api';
import { formatDateTime } from '../fhir-format';
import { tone } from '../theme';

interface Hl7MessageSummary {
  id: string;
  receivedAt: string;
  sender: string;
  type: string;
  controlId: string;
  version: string;
  status: 'processed' | 'failed' | 'rejected';
  error?: { code: string; location: string; text: string };
  processedAt?: string;
  replayedFrom?: string;
  resolvedBy?: string;
}

const LIMIT = 50;
const statusTone = { processed: tone.ok, failed: tone.danger, rejected: tone.warn } as const;

export function Hl7FeedPage() {
  const [status, setStatus] = useState('failed');
  const [offset, setOffset] = useState(0);
  const [viewing, setViewing] = useState<string>();
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['hl7-messages', status, offset],
    queryFn: ({ signal }) =>
      get<{ total: number; messages: Hl7MessageSummary[] }>(
        `/api/hl7/messages${query({ status: status || undefined, limit: LIMIT, offset })}`,
        signal,
      ),
    placeholderData: keepPreviousData,
  });

  async function replay(m: Hl7MessageSummary) {
    try {
      const { attempt } = await request<{ attempt: { id: string; ackCode: string; status: string } }>(
        'POST',
        `/api/hl7/messages/${encodeURIComponent(m.id)}/replay`,
      );
      setNotice({
        ok: attempt.ackCode === 'AA',
        text:
          attempt.ackCode === 'AA'
            ? `Message ${m.controlId} replayed and processed.`
            : `Message ${m.controlId} replayed and answered ${attempt.ackCode} again: see the new entry.`,
      });
    } catch (err) {
      setNotice({ ok: false, text: (err as Error).message });
    }
    await client.invalidateQueries({ queryKey: ['hl7-messages'] });
  }

  const messages = list.data?.messages ?? [];
  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end">
        <Stack gap={0}>
          <Title order={1} size="h3">
            HL7 feed
          </Title>
          <Text size="sm" c="dimmed">
            Messages received over MLLP and POST /hl7/v2. Failed and rejected ones are the dead letters.
          </Text>
        </Stack>
        <NativeSelect
          label="Show"
          size="xs"
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value);
            setOffset(0);
          }}
          data={[
            { value: 'failed', label: 'Failed (AE)' },
            { value: 'rejected', label: 'Rejected (AR)' },
            { value: 'processed', label: 'Processed (AA)' },
            { value: '', label: 'All messages' },
          ]}
        />
      </Group>
      {notice && (
        <Alert
          color={notice.ok ? 'green' : 'orange'}
          role="status"
          withCloseButton
          onClose={() => setNotice(undefined)}
        >
          {notice.text}
        </Alert>
      )}
      {list.error && (
        <Alert color="red" role="alert">
          {(list.error as Error).message}
        </Alert>
      )}
      {list.isPending ? (
        <Stack gap={6} aria-busy="true" aria-label="Loading messages">
          <Skeleton height={28} />
          <Skeleton height={28} />
        </Stack>
      ) : messages.length === 0 ? (
        <Text c="dimmed" data-testid="hl7-empty">
          {status === 'failed' || status === 'rejected'
            ? 'No dead letters: every message was processed.'
            : 'No messages.'}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table striped aria-label="HL7 messages" data-testid="hl7-messages">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Received</Table.Th>
                <Table.Th scope="col">Sender</Table.Th>
                <Table.Th scope="col">Type</Table.Th>
                <Table.Th scope="col">Control id</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Error</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {messages.map((m) => (
                <Table.Tr key={m.id} data-testid="hl7-message">
                  <Table.Td>{formatDateTime(m.receivedAt)}</Table.Td>
                  <Table.Td>{m.sender}</Table.Td>
                  <Table.Td>
                    {m.type}{' '}
                    <Text span size="xs" c="dimmed">
                      v{m.version}
                    </Text>
                  </Table.Td>
                  <Table.Td>{m.controlId}</Table.Td>
                  <Table.Td>
                    <Text span size="sm" fw={600} c={statusTone[m.status]}>
                      {m.status}
                    </Text>
                    {m.resolvedBy && (
                      <Badge size="xs" variant="light" color="green" tt="none" ml={4}>
                        resolved later
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {m.error ? (
                      <Text size="sm">
                        <Code>{m.error.location || '—'}</Code> {m.error.code}: {m.error.text}
                      </Text>
                    ) : (
                      ''
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-xs" variant="subtle" onClick={() => setViewing(m.id)}>
                        View
                      </Button>
                      {m.status !== 'processed' && !m.resolvedBy && (
                        <Button size="compact-xs" variant="light" onClick={() => void replay(m)}>
                          Replay
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {list.data ? `${offset + 1}–${offset + messages.length} of ${list.data.total}` : ''}
        </Text>
        <Group gap="xs">
          <Button
            size="xs"
            variant="default"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - LIMIT))}
          >
            Newer
          </Button>
          <Button
            size="xs"
            variant="default"
            disabled={!list.data || offset + LIMIT >= list.data.total}
            onClick={() => setOffset(offset + LIMIT)}
          >
            Older
          </Button>
        </Group>
      </Group>
      {viewing && <MessageDialog id={viewing} onClose={() => setViewing(undefined)} />}
    </Stack>
  );
}

function MessageDialog({ id, onClose }: { id: string; onClose(): void }) {
  const detail = useQuery({
    queryKey: ['hl7-message', id],
    queryFn: ({ signal }) =>
      get<{ message: Hl7MessageSummary & { ack: string; raw?: string } }>(
        `/api/hl7/messages/${encodeURIComponent(id)}`,
        signal,
      ),
  });
  const m = detail.data?.message;
  return (
    <Modal opened onClose={onClose} title="HL7 message" size="xl">
      {detail.error && <Alert color="red">{(detail.error as Error).message}</Alert>}
      {m && (
        <Stack gap="xs">
          <Text size="sm">
            {m.type} from {m.sender}, control id {m.controlId}, received {formatDateTime(m.receivedAt)}
          </Text>
          <Title order={2} size="h6">
            Acknowledgement sent
          </Title>
          <Code block>{m.ack.replace(/\r/g, '\n')}</Code>
          {m.raw !== undefined ? (
            <>
              <Title order={2} size="h6">
                Message as received (contains patient data; this view is audited)
              </Title>
              <Code block>{m.raw.replace(/\r/g, '\n')}</Code>
            </>
          ) : (
            <Text size="sm" c="dimmed">
              The message text is shown to administrators only.
            </Text>
          )}
        </Stack>
      )}
    </Modal>
  );
}
