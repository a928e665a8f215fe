/** My account: who I am signed in as, and changing my password (POST /auth/password). */
import { Alert, Button, Paper, PasswordInput, Stack, Table, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { post } from '../api';
import { roleLabels } from '../roles';
import { type Session, useSession, useUser } from '../session';
import { useSubmit } from '../use-submit';

export function AccountPage() {
  const user = useUser();
  const { signedIn } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [changed, setChanged] = useState(false);
  const { busy, error, submit: send } = useSubmit();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setChanged(false);
    const done = await send(async () => {
      const answer = await post<Partial<Session>>('/auth/password', {
        currentPassword: current,
        newPassword: next,
      });
      // The server starts a fresh session on a password change: keep its new CSRF token.
      if (answer?.user && answer.csrfToken) signedIn({ user: answer.user, csrfToken: answer.csrfToken });
      setCurrent('');
      setNext('');
    }, 'The password was not changed.');
    setChanged(done);
  }

  return (
    <Stack maw={560} gap="lg">
      <Title order={1} size="h3">
        My account
      </Title>
      <Table withRowBorders={false} aria-label="My account">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th scope="row">Name</Table.Th>
            <Table.Td>{user.name}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">Email</Table.Th>
            <Table.Td>{user.email}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">Role</Table.Th>
            <Table.Td>{roleLabels[user.role] ?? user.role}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">Second sign-in step</Table.Th>
            <Table.Td>{user.mfaEnabled ? 'Authenticator app set up' : 'Not set up'}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      <Paper withBorder p="md">
        <form onSubmit={submit}>
          <Stack gap="sm">
            <Title order={2} size="h4">
              Change my password
            </Title>
            {changed && (
              <Alert color="green" role="status">
                Your password is changed. Your other sessions were signed out.
              </Alert>
            )}
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <PasswordInput
              label="Current password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.currentTarget.value)}
            />
            <PasswordInput
              label="New password"
              autoComplete="new-password"
              required
              value={next}
              onChange={(e) => setNext(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} w="fit-content">
              Change password
            </Button>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}
