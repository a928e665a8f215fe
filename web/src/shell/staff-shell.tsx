/**
 * The staff shell: a header with the product, the signed-in person and their role, sign-out; a
 * navigation bar by role (a burger menu below 768 px); the page in <main>. A phone's header has room
 * for the product, the burger and the notifications only: below 768 px the person and their role, and
 * below 576 px sign-out too, move to the top of the burger menu.
 */
import { AppShell, Box, Burger, Button, Group, NavLink, Stack, Text, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { roleLabels, seesTransitions, staffNavigation } from '../roles';
import { useSession, useUser } from '../session';
import { NotificationsMenu } from './notifications-menu';

export function StaffShell({ children }: { children: ReactNode }) {
  const user = useUser();
  const { signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure(false);
  const [location] = useLocation();
  const nav = staffNavigation(user.role);

  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? 'Close navigation' : 'Open navigation'}
            />
            <Text component="span" fw={700} size="lg" c="blue.9">
              CareLoop
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {seesTransitions(user.role) && <NotificationsMenu />}
            <Stack gap={0} align="flex-end" visibleFrom="sm">
              <Text size="sm" fw={600} data-testid="user-name">
                {user.name}
              </Text>
              <Text size="xs" c="dimmed" data-testid="user-role">
                {roleLabels[user.role] ?? user.role}
              </Text>
            </Stack>
            <Box visibleFrom="xs">
              <SignOutButton name={user.name} onClick={signOut} />
            </Box>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation" component="nav">
        <Stack gap={2}>
          <Stack gap={0} hiddenFrom="sm" px="sm" pb="xs" align="flex-start">
            <Text size="sm" fw={600}>
              {user.name}
            </Text>
            <Text size="xs" c="dimmed">
              {roleLabels[user.role] ?? user.role}
            </Text>
            <Box hiddenFrom="xs" mt="xs">
              <SignOutButton name={user.name} onClick={signOut} />
            </Box>
          </Stack>
          {nav.map((item) => {
            const active =
              location === item.href ||
              location.startsWith(`${item.href}/`) ||
              // The worklist is also the home page of the roles that have one.
              (item.href === '/worklist' && location === '/');
            return (
              <NavLink
                key={item.href}
                component={Link}
                href={item.href}
                label={item.label}
                active={active}
                aria-current={active ? 'page' : undefined}
                onClick={close}
              />
            );
          })}
          <NavLink
            component={Link}
            href="/account"
            label="My account"
            active={location === '/account'}
            aria-current={location === '/account' ? 'page' : undefined}
            onClick={close}
          />
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}

function SignOutButton(props: { name: string; onClick(): Promise<void> }) {
  return (
    <Button variant="default" size="xs" onClick={() => void props.onClick()}>
      Sign out
      <VisuallyHidden> ({props.name})</VisuallyHidden>
    </Button>
  );
}
