/**
 * The worklist table: one dense row per task (patient, what to do, why now, due, owner, priority,
 * risk, status, rank), a checkbox per row for bulk actions, the active row (j/k) focused, and the
 * rank's factors one click away in a popover.
 */
import {
  Anchor,
  Checkbox,
  Group,
  Popover,
  Skeleton,
  Stack,
  Table,
  Text,
  UnstyledButton,
  VisuallyHidden,
} from '@mantine/core';
import type { RefObject } from 'react';
import { Link } from 'wouter';
import { RiskTier, TaskDue, TaskPriority, TaskStatus } from '../workspace/task-badges';
import type { WorklistItem } from '../workspace/workspace-api';

export function WorklistTable(props: {
  items: WorklistItem[];
  loading: boolean;
  busy: boolean;
  active: number;
  openTaskId?: string;
  compact: boolean;
  /** Hide the owner column (in "My work" every row is the user's). */
  hideOwner?: boolean;
  selected: Set<string>;
  rowRefs: RefObject<(HTMLTableRowElement | null)[]>;
  onSelect(ids: string[], on: boolean): void;
  onActivate(index: number): void;
  onOpen(index: number): void;
}) {
  const { items, compact, selected } = props;
  const allSelected = items.length > 0 && items.every((i) => selected.has(i.taskId));
  const someSelected = items.some((i) => selected.has(i.taskId));
  const showOwner = !compact && !props.hideOwner;
  const columns = (compact ? 6 : 8) + (showOwner ? 1 : 0);
  return (
    <Table.ScrollContainer minWidth={compact ? 520 : 820}>
      <Table
        aria-label="Worklist"
        aria-busy={props.busy}
        fz="sm"
        verticalSpacing={4}
        horizontalSpacing={8}
        highlightOnHover
        stickyHeader
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={32}>
              <Checkbox
                size="xs"
                aria-label="Select all tasks shown"
                checked={allSelected}
                indeterminate={someSelected && !allSelected}
                onChange={(e) =>
                  props.onSelect(
                    items.map((i) => i.taskId),
                    e.currentTarget.checked,
                  )
                }
              />
            </Table.Th>
            <Table.Th scope="col">Patient</Table.Th>
            <Table.Th scope="col">What to do</Table.Th>
            {!compact && <Table.Th scope="col">Why now</Table.Th>}
            <Table.Th scope="col">Due</Table.Th>
            {showOwner && <Table.Th scope="col">Owner</Table.Th>}
            <Table.Th scope="col">Priority</Table.Th>
            {!compact && <Table.Th scope="col">Risk</Table.Th>}
            <Table.Th scope="col">Rank</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.loading &&
            Array.from({ length: 8 }, (_, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
              <Table.Tr key={i}>
                {Array.from({ length: columns }, (_, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: placeholder cells have no identity
                  <Table.Td key={j}>
                    <Skeleton height={14} />
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          {items.map((item, index) => {
            const isActive = index === props.active;
            const isOpen = item.taskId === props.openTaskId;
            return (
              <Table.Tr
                key={item.taskId}
                ref={(el) => {
                  props.rowRefs.current[index] = el;
                }}
                tabIndex={-1}
                className="row-link worklist-row"
                data-testid="worklist-row"
                data-task-id={item.taskId}
                data-active={isActive || undefined}
                data-open={isOpen || undefined}
                aria-current={isOpen ? 'true' : undefined}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('a, button, input, label')) return;
                  props.onActivate(index);
                  props.onOpen(index);
                }}
              >
                <Table.Td>
                  <Checkbox
                    size="xs"
                    aria-label={`Select “${item.title}” for ${item.patient.name}`}
                    checked={selected.has(item.taskId)}
                    onChange={(e) => props.onSelect([item.taskId], e.currentTarget.checked)}
                  />
                </Table.Td>
                <Table.Td>
                  <Stack gap={0}>
                    <UnstyledButton
                      fw={600}
                      fz="sm"
                      miw={110}
                      onClick={() => {
                        props.onActivate(index);
                        props.onOpen(index);
                      }}
                      data-testid="worklist-patient"
                    >
                      {item.patient.name}
                    </UnstyledButton>
                    <Group gap={4} wrap="nowrap">
                      <Text span size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                        {[
                          item.patient.age !== undefined ? `${item.patient.age} y` : undefined,
                          item.patient.language,
                        ]
                          .filter(Boolean)
                          .join(' · ')}
                      </Text>
                      {item.patient.interpreter && (
                        <span className="interpreter-chip" title="Needs an interpreter">
                          <span aria-hidden="true">⇄ </span>interpreter
                        </span>
                      )}
                    </Group>
                  </Stack>
                </Table.Td>
                <Table.Td miw={150}>
                  <Stack gap={0} align="flex-start">
                    <Anchor
                      component={Link}
                      href={`/tasks/${item.taskId}`}
                      size="sm"
                      data-testid="worklist-title"
                    >
                      {item.title}
                    </Anchor>
                    <TaskStatus status={item.status} size="xs" />
                  </Stack>
                </Table.Td>
                {!compact && (
                  <Table.Td miw={120}>
                    <Group gap={4}>
                      {item.reasons.length === 0 && (
                        <Text span size="xs" c="dimmed">
                          —
                        </Text>
                      )}
                      {item.reasons.map((r) => (
                        <span key={r.code + r.label} className="reason-chip">
                          {r.label}
                        </span>
                      ))}
                    </Group>
                  </Table.Td>
                )}
                <Table.Td>
                  <TaskDue dueAt={item.dueAt} overdueDays={item.overdueDays} compact={compact} />
                </Table.Td>
                {showOwner && (
                  <Table.Td>
                    <Text span size="sm" style={{ whiteSpace: 'nowrap' }}>
                      {item.owner?.display ?? (item.ownerRole ? `Any ${item.ownerRole}` : 'Unassigned')}
                    </Text>
                  </Table.Td>
                )}
                <Table.Td>
                  <TaskPriority priority={item.priority} />
                </Table.Td>
                {!compact && (
                  <Table.Td>
                    <RiskTier tier={item.riskTier} />
                  </Table.Td>
                )}
                <Table.Td>
                  <RankPopover item={item} />
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The rank score as a button; its popover lists the factors and their points. */
export function RankPopover({ item }: { item: WorklistItem }) {
  return (
    <Popover width={300} position="left" withArrow shadow="md">
      <Popover.Target>
        <UnstyledButton
          fz="sm"
          px={6}
          style={{ borderRadius: 4, border: '1px solid var(--mantine-color-gray-4)', whiteSpace: 'nowrap' }}
          data-testid="rank-button"
        >
          {Math.round(item.score)}
          <VisuallyHidden>: why this rank for “{item.title}”</VisuallyHidden>
        </UnstyledButton>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap={6} data-testid="rank-explanation">
          <Text size="sm" fw={700}>
            Rank {Math.round(item.score)}: why it is here
          </Text>
          {item.factors.length === 0 ? (
            <Text size="sm" c="dimmed">
              No factors were reported for this rank.
            </Text>
          ) : (
            <Table fz="sm" verticalSpacing={2} aria-label="Rank factors">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Factor</Table.Th>
                  <Table.Th scope="col" ta="right">
                    Points
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {item.factors.map((f) => (
                  <Table.Tr key={f.name}>
                    <Table.Td>
                      <Text size="sm" fw={600}>
                        {f.name}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {f.detail}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right" ff="monospace">
                      {f.points > 0 ? `+${f.points}` : f.points}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
