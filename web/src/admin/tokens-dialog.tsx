/** A user's API tokens: list, create (the secret shown once), revoke. */
import {
  Alert,
  Button,
  Group,
  Modal,
  NumberInput,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { get, post, request } from '../api';
import { formatDateTime } from '../fhir-format';
import { useSubmit } from '../use-submit';
import { OneTimeSecret } from './one-time-secret';
import type { UserRow } from './users-page';

interface TokenRow {
  id: string;
  label: string | null;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export function TokensDialog({ user, onClose }: { user: UserRow; onClose(): void }) {
  const client = useQueryClient();
  const key = ['admin-tokens', user.id];
  const tokens = useQuery({
    queryKey: key,
    queryFn: async ({ signal }) => {
      const body = await get<TokenRow[] | { tokens: TokenRow[] }>(`/admin/users/${user.id}/tokens`, signal);
      return Array.isArray(body) ? body : body.tokens;
    },
  });
  const [label, setLabel] = useState('');
  const [scopes, setScopes] = useState('');
  const [days, setDays] = useState<number | string>(90);
  const [created, setCreated] = useState<{ token: string; expiresAt?: string }>();
  const { busy, error, submit } = useSubmit();
  const refresh = () => {
    void client.invalidateQueries({ queryKey: key });
    void client.invalidateQueries({ queryKey: ['admin-users'] });
  };

  async function create(e: FormEvent) {
    e.preventDefault();
    await submit(async () => {
      const answer = await post<{ token: string; id: string; expiresAt?: string }>(
        `/admin/users/${user.id}/tokens`,
        {
          ...(label.trim() ? { label: label.trim() } : {}),
          ...(scopes.trim() ? { scopes: scopes.trim().split(/\s+/) } : {}),
          ...(days !== '' ? { expiresInDays: Number(days) } : {}),
        },
      );
      setCreated({ token: answer.token, expiresAt: answer.expiresAt });
      setLabel('');
      setScopes('');
      refresh();
    }, 'The token was not created.');
  }

  async function revoke(id: string) {
    await submit(async () => {
      await request('DELETE', `/admin/tokens/${id}`);
      refresh();
    }, 'The token was not revoked.');
  }

  return (
    <Modal opened onClose={onClose} title={`API tokens of ${user.name}`} size="xl">
      <Stack gap="md">
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        {created && (
          <Alert color="green" title="Token created" role="status">
            <Stack gap="xs">
              <Text size="sm">
                Copy it now: it is shown only once.
                {created.expiresAt && ` It expires on ${formatDateTime(created.expiresAt)}.`}
              </Text>
              <OneTimeSecret label="New token" value={created.token} />
            </Stack>
          </Alert>
        )}
        {tokens.isPending ? (
          <Skeleton height={60} />
        ) : tokens.data?.length ? (
          <Table.ScrollContainer minWidth={600}>
            <Table aria-label="API tokens" fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Label</Table.Th>
                  <Table.Th scope="col">Scopes</Table.Th>
                  <Table.Th scope="col">Expires</Table.Th>
                  <Table.Th scope="col">Last used</Table.Th>
                  <Table.Th scope="col">Status</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {tokens.data.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>{t.label ?? '—'}</Table.Td>
                    <Table.Td ff="monospace">{t.scopes.join(' ')}</Table.Td>
                    <Table.Td>{t.expiresAt ? formatDateTime(t.expiresAt) : 'Never'}</Table.Td>
                    <Table.Td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : 'Never'}</Table.Td>
                    <Table.Td>
                      {t.revokedAt ? (
                        `Revoked ${formatDateTime(t.revokedAt)}`
                      ) : (
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => void revoke(t.id)}
                          aria-label={`Revoke token ${t.label ?? t.id}`}
                        >
                          Revoke
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : (
          <Text c="dimmed">This user has no API tokens.</Text>
        )}
        <form onSubmit={create}>
          <Stack gap="xs">
            <Text fw={600}>New token</Text>
            <Group align="flex-end" gap="sm" wrap="wrap">
              <TextInput label="Label" value={label} onChange={(e) => setLabel(e.currentTarget.value)} />
              <TextInput
                label="Scopes"
                description="Space-separated; empty gives user/*.*"
                placeholder="user/*.read"
                value={scopes}
                onChange={(e) => setScopes(e.currentTarget.value)}
              />
              <NumberInput
                label="Expires in (days)"
                min={1}
                max={3650}
                value={days}
                onChange={setDays}
                w={140}
              />
              <Button type="submit" loading={busy}>
                Create token
              </Button>
            </Group>
          </Stack>
        </form>
      </Stack>
    </Modal>
  );
}
