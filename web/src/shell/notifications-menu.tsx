/**
 * The care-team notifications in the header: emergency visits, admissions, discharges and deaths of
 * the patients on the user's teams (GET /api/notifications), the unread count said in words, each
 * opening the patient's chart and marked read when opened. Polled every minute.
 */
import { Anchor, Badge, Button, Popover, ScrollArea, Stack, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get, request } from '../api';
import { formatDateTime } from '../fhir-format';

interface NotificationView {
  id: string;
  kind: string;
  text: string;
  sentAt?: string;
  patientId?: string;
  encounterId?: string;
  read: boolean;
}

export function NotificationsMenu() {
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['notifications'],
    queryFn: ({ signal }) => get<{ notifications: NotificationView[] }>('/api/notifications', signal),
    refetchInterval: 60_000,
  });
  const notifications = list.data?.notifications ?? [];
  const unread = notifications.filter((n) => !n.read).length;
  const markRead = async (id: string) => {
    await request('POST', `/api/notifications/${encodeURIComponent(id)}/read`).catch(() => {});
    await client.invalidateQueries({ queryKey: ['notifications'] });
  };
  return (
    <Popover width={360} position="bottom-end" shadow="md">
      <Popover.Target>
        <Button variant="subtle" size="xs" data-testid="notifications-button">
          Notifications
          {unread > 0 && (
            // Not `circle`: a circle is one digit wide and shows 12 as "1..". A pill at least as wide
            // as it is tall: round for one digit, longer for two; the exact count is in its name.
            <Badge
              size="sm"
              color="red"
              ml={6}
              px={4}
              miw={18}
              aria-label={`${unread} unread`}
              data-testid="unread-count"
            >
              {unread > 99 ? '99+' : unread}
            </Badge>
          )}
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <ScrollArea.Autosize mah={420}>
          {notifications.length === 0 ? (
            <Text size="sm" c="dimmed">
              No notifications about your patients.
            </Text>
          ) : (
            <Stack gap="xs" data-testid="notifications">
              {notifications.map((n) => (
                <Stack key={n.id} gap={0} data-testid="notification">
                  <Text size="sm" fw={n.read ? 400 : 700}>
                    {n.patientId ? (
                      <Anchor
                        component={Link}
                        href={`/patients/${n.patientId}`}
                        onClick={() => void markRead(n.id)}
                      >
                        {n.text}
                      </Anchor>
                    ) : (
                      n.text
                    )}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {n.sentAt ? formatDateTime(n.sentAt) : ''}
                    {n.read ? ' · read' : ''}
                  </Text>
                </Stack>
              ))}
            </Stack>
          )}
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
  );
}
