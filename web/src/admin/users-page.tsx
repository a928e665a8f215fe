/**
 * Users (admin): every account with its role, state, sessions and tokens; create an account, reset a
 * password, end sessions, disable or enable, manage API tokens. One-time secrets (temporary
 * passwords, tokens) are shown once with a copy button and never again.
 */

import {
  Alert,
  Badge,
  Button,
  Group,
  Menu,
  Modal,
  NativeSelect,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { roles } from '../../../src/access/access-context';
import { ApiError, get, post } from '../api';
import { type Role, roleLabels } from '../roles';
import { tone } from '../theme';
import { useSubmit } from '../use-submit';
import { OneTimeSecret } from './one-time-secret';
import { TokensDialog } from './tokens-dialog';

/** One row of GET /admin/users. */
export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  resource: string | null;
  mfaEnabled: boolean;
  disabled?: boolean;
  mustChangePassword?: boolean;
  createdAt?: string;
  activeSessions?: number;
  activeTokens?: number;
}

type Dialog =
  | { kind: 'create' }
  | { kind: 'secret'; title: string; intro: string; secret: string; label: string }
  | { kind: 'tokens'; user: UserRow }
  | { kind: 'confirm'; title: string; text: string; action: string; run(): Promise<unknown> };

export function UsersPage() {
  const client = useQueryClient();
  const [dialog, setDialog] = useState<Dialog>();
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();
  const users = useQuery({
    queryKey: ['admin-users'],
    queryFn: async ({ signal }) => {
      const body = await get<UserRow[] | { users: UserRow[] }>('/admin/users', signal);
      return Array.isArray(body) ? body : body.users;
    },
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['admin-users'] });

  async function act(text: string, run: () => Promise<unknown>) {
    setNotice(undefined);
    try {
      await run();
      setNotice({ ok: true, text });
    } catch (err) {
      setNotice({ ok: false, text: err instanceof ApiError ? err.message : 'The action failed.' });
    } finally {
      await refresh();
    }
  }

  function resetPassword(user: UserRow) {
    setDialog({
      kind: 'confirm',
      title: `Reset the password of ${user.name}?`,
      text: 'They get a temporary password that they must change when they next sign in. All their sessions end now.',
      action: 'Reset password',
      run: async () => {
        const { temporaryPassword } = await post<{ temporaryPassword: string }>(
          `/admin/users/${user.id}/reset-password`,
        );
        await refresh();
        setDialog({
          kind: 'secret',
          title: 'Temporary password',
          intro: `Give this temporary password to ${user.name} in a safe way. It is shown only once.`,
          secret: temporaryPassword,
          label: 'Temporary password',
        });
      },
    });
  }

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end">
        <Title order={1} size="h3">
          Users
        </Title>
        <Button size="xs" onClick={() => setDialog({ kind: 'create' })}>
          Create user
        </Button>
      </Group>
      {notice && (
        <Alert
          color={notice.ok ? 'green' : 'red'}
          role={notice.ok ? 'status' : 'alert'}
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setNotice(undefined)}
        >
          {notice.text}
        </Alert>
      )}
      {users.error && (
        <Alert color="red" role="alert" title="The users could not be loaded">
          {users.error.message}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={760}>
        <Table striped aria-label="Users" aria-busy={users.isFetching}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">Email</Table.Th>
              <Table.Th scope="col">Role</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Sessions</Table.Th>
              <Table.Th scope="col">Tokens</Table.Th>
              <Table.Th scope="col">
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.isPending &&
              Array.from({ length: 6 }, (_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
                <Table.Tr key={i}>
                  <Table.Td colSpan={7}>
                    <Skeleton height={14} />
                  </Table.Td>
                </Table.Tr>
              ))}
            {users.data?.map((u) => (
              <Table.Tr key={u.id} data-testid="user-row">
                <Table.Td fw={600}>{u.name}</Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>{roleLabels[u.role] ?? u.role}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {u.disabled ? (
                      <Badge color="gray" variant="outline">
                        Disabled
                      </Badge>
                    ) : (
                      <Badge color={tone.ok} variant="outline">
                        Active
                      </Badge>
                    )}
                    {u.mfaEnabled && (
                      <Badge color={tone.info} variant="outline">
                        MFA
                      </Badge>
                    )}
                    {u.mustChangePassword && (
                      <Badge color={tone.warn} variant="outline">
                        Must change password
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{u.activeSessions ?? '—'}</Table.Td>
                <Table.Td>{u.activeTokens ?? '—'}</Table.Td>
                <Table.Td>
                  <Menu position="bottom-end" withinPortal>
                    <Menu.Target>
                      <Button variant="default" size="xs" aria-label={`Actions for ${u.name}`}>
                        Actions
                      </Button>
                    </Menu.Target>
                    <Menu.Dropdown>
                      <Menu.Item onClick={() => resetPassword(u)}>Reset password</Menu.Item>
                      <Menu.Item
                        onClick={() =>
                          act(`The sessions of ${u.name} have ended.`, () =>
                            post(`/admin/users/${u.id}/revoke-sessions`),
                          )
                        }
                      >
                        End all sessions
                      </Menu.Item>
                      <Menu.Item onClick={() => setDialog({ kind: 'tokens', user: u })}>API tokens</Menu.Item>
                      <Menu.Divider />
                      {u.disabled ? (
                        <Menu.Item
                          onClick={() =>
                            act(`${u.name} can sign in again.`, () => post(`/admin/users/${u.id}/enable`))
                          }
                        >
                          Enable account
                        </Menu.Item>
                      ) : (
                        <Menu.Item
                          color={tone.danger}
                          onClick={() =>
                            setDialog({
                              kind: 'confirm',
                              title: `Disable the account of ${u.name}?`,
                              text: 'They can no longer sign in, and their sessions and tokens stop working. You can enable the account again later.',
                              action: 'Disable account',
                              run: () =>
                                act(`${u.name} is disabled.`, () =>
                                  post(`/admin/users/${u.id}/disable`),
                                ).then(() => setDialog(undefined)),
                            })
                          }
                        >
                          Disable account
                        </Menu.Item>
                      )}
                    </Menu.Dropdown>
                  </Menu>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>

      {dialog?.kind === 'create' && (
        <CreateUserDialog
          onClose={() => setDialog(undefined)}
          onCreated={(user, temporaryPassword) => {
            void refresh();
            if (temporaryPassword)
              setDialog({
                kind: 'secret',
                title: 'User created',
                intro: `Give this temporary password to ${user.name} in a safe way. They must change it when they first sign in. It is shown only once.`,
                secret: temporaryPassword,
                label: 'Temporary password',
              });
            else {
              setDialog(undefined);
              setNotice({ ok: true, text: `${user.name} can now sign in.` });
            }
          }}
        />
      )}
      {dialog?.kind === 'secret' && (
        <Modal opened onClose={() => setDialog(undefined)} title={dialog.title}>
          <Stack>
            <Text>{dialog.intro}</Text>
            <OneTimeSecret label={dialog.label} value={dialog.secret} />
            <Button onClick={() => setDialog(undefined)} w="fit-content">
              Done
            </Button>
          </Stack>
        </Modal>
      )}
      {dialog?.kind === 'tokens' && <TokensDialog user={dialog.user} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === 'confirm' && <ConfirmDialog {...dialog} onClose={() => setDialog(undefined)} />}
    </Stack>
  );
}

function ConfirmDialog(props: {
  title: string;
  text: string;
  action: string;
  run(): Promise<unknown>;
  onClose(): void;
}) {
  const run = useMutation({ mutationFn: props.run });
  return (
    <Modal opened onClose={props.onClose} title={props.title}>
      <Stack>
        <Text>{props.text}</Text>
        {run.error && (
          <Alert color="red" role="alert">
            {run.error.message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button color={tone.danger} loading={run.isPending} onClick={() => run.mutate()}>
            {props.action}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

const roleOptions = roles.map((r) => ({ value: r, label: roleLabels[r] }));

function CreateUserDialog(props: {
  onClose(): void;
  onCreated(user: UserRow, temporaryPassword?: string): void;
}) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<string | null>(null);
  const [resource, setResource] = useState('');
  const { busy, error, setError, submit: send } = useSubmit();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!role) {
      setError('Choose a role.');
      return;
    }
    await send(async () => {
      const answer = await post<{ user?: UserRow; temporaryPassword?: string } & Partial<UserRow>>(
        '/admin/users',
        {
          email: email.trim(),
          name: name.trim(),
          role,
          ...(resource.trim() ? { resource: resource.trim() } : {}),
        },
      );
      const user = (answer.user ?? answer) as UserRow;
      props.onCreated(user, answer.temporaryPassword);
    }, 'The user was not created.');
  }

  return (
    <Modal opened onClose={props.onClose} title="Create user">
      <form onSubmit={submit}>
        <Stack gap="sm">
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <TextInput
            label="Name"
            required
            autoFocus
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <TextInput
            label="Email"
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
          />
          <NativeSelect
            label="Role"
            required
            data={[{ value: '', label: 'Choose a role…', disabled: true }, ...roleOptions]}
            value={role ?? ''}
            onChange={(e) => setRole(e.currentTarget.value || null)}
          />
          <TextInput
            label="Linked FHIR resource"
            description="Who this person is in the record, e.g. Practitioner/123 or Patient/456."
            value={resource}
            onChange={(e) => setResource(e.currentTarget.value)}
          />
          <Text size="sm" c="dimmed">
            A temporary password is generated; the user chooses their own at first sign-in.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Create user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
