/** One section of the patient chart: a titled FHIR search with skeleton, empty state and error. */
import { Alert, Anchor, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { get } from '../api';
import { type Bundle, type Resource, resources } from '../fhir-format';

export function ChartSection<T extends Resource>(props: {
  id: string;
  title: string;
  path: string;
  empty: string;
  children(items: T[], total: number | undefined): ReactNode;
}) {
  const { data, isPending, error, refetch } = useQuery({
    queryKey: ['fhir', props.path],
    queryFn: ({ signal }) => get<Bundle<T>>(props.path, signal),
  });
  const items = resources(data);
  const headingId = `${props.id}-heading`;
  return (
    <Paper withBorder p="sm" component="section" aria-labelledby={headingId} data-testid={props.id}>
      <Stack gap="xs">
        <Title order={2} size="h5" id={headingId}>
          {props.title}
          {!isPending && !error && (
            <Text span c="dimmed" size="sm" fw={400}>
              {' '}
              (
              {data?.total !== undefined && data.total > items.length
                ? `latest ${items.length} of ${data.total}`
                : items.length}
              )
            </Text>
          )}
        </Title>
        {isPending && (
          <Stack gap={6} aria-label={`Loading ${props.title.toLowerCase()}`}>
            <Skeleton height={12} />
            <Skeleton height={12} width="80%" />
            <Skeleton height={12} width="60%" />
          </Stack>
        )}
        {error && (
          <Alert color="red" role="alert" p="xs">
            {error.message}{' '}
            <Anchor component="button" size="sm" onClick={() => void refetch()}>
              Try again
            </Anchor>
          </Alert>
        )}
        {!isPending && !error && items.length === 0 && (
          <Text size="sm" c="dimmed">
            {props.empty}
          </Text>
        )}
        {!isPending && !error && items.length > 0 && props.children(items, data?.total)}
      </Stack>
    </Paper>
  );
}
