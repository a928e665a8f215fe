/** The chart's open tasks: every unfinished Task for the patient, soonest due first, each linked to its page. */
import { Anchor, Table } from '@mantine/core';
import { Link } from 'wouter';
import { OwnerName } from '../workspace/owner-name';
import { TaskDue, TaskPriority, TaskStatus } from '../workspace/task-badges';
import { type Task, taskDue, taskTitle } from '../workspace/workspace-api';
import { ChartSection } from './chart-section';

const OPEN = 'requested,received,accepted,ready,in-progress,on-hold';

export function OpenTasksSection({ patientId }: { patientId: string }) {
  return (
    <ChartSection<Task>
      id="tasks"
      title="Open tasks"
      path={`/fhir/Task?patient=${encodeURIComponent(patientId)}&status=${OPEN}&_count=50`}
      empty="No open tasks. Tasks appear here when an encounter needs follow-up or a care plan sets activities."
    >
      {(tasks) => (
        <Table.ScrollContainer minWidth={480}>
          <Table aria-label="Open tasks" fz="sm" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Task</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Due</Table.Th>
                <Table.Th scope="col">Priority</Table.Th>
                <Table.Th scope="col">Owner</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...tasks]
                .sort((a, b) => (taskDue(a) ?? '9').localeCompare(taskDue(b) ?? '9'))
                .map((t) => (
                  <Table.Tr key={t.id} data-testid="chart-task">
                    <Table.Td>
                      <Anchor component={Link} href={`/tasks/${t.id}`} size="sm">
                        {taskTitle(t)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <TaskStatus status={t.status} />
                    </Table.Td>
                    <Table.Td>
                      <TaskDue dueAt={taskDue(t)} compact />
                    </Table.Td>
                    <Table.Td>
                      <TaskPriority priority={t.priority} />
                    </Table.Td>
                    <Table.Td>
                      <OwnerName owner={t.owner} />
                    </Table.Td>
                  </Table.Tr>
                ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </ChartSection>
  );
}
