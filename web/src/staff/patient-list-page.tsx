/**
 * Patients: the patients the signed-in person may see (the server filters by access), searchable by
 * name or MRN, 25 a page in family-name order. The search and page live in the URL, so Back returns
 * to the same place. Keyboard: "/" focuses the search; each name is a link.
 */

import {
  Alert,
  Anchor,
  Button,
  Group,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue, useHotkeys } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'wouter';
import { get, query } from '../api';
import {
  ageInYears,
  type Bundle,
  formatDate,
  genderLabel,
  mrn,
  type Patient,
  preferredLanguage,
  resources,
  sortableName,
} from '../fhir-format';
import { canBreakGlass } from '../roles';
import { useUser } from '../session';
import { tone } from '../theme';
import { BreakGlassDialog } from './break-glass-dialog';

const PAGE_SIZE = 25;

/** The FHIR search for a box entry: digits (an MRN) search identifiers, anything else names. */
export function patientSearchPath(text: string, offset: number): string {
  const q = text.trim();
  const byIdentifier = /^[0-9-]{4,}$/.test(q);
  return `/fhir/Patient${query({
    name: q && !byIdentifier ? q : undefined,
    identifier: byIdentifier ? q : undefined,
    _count: PAGE_SIZE,
    _sort: 'family',
    _total: 'accurate',
    _offset: offset || undefined,
  })}`;
}

export function PatientListPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const [, navigate] = useLocation();
  const [text, setText] = useState(params.get('q') ?? '');
  const [debounced] = useDebouncedValue(text, 300);
  const offset = Number(params.get('offset') ?? 0) || 0;
  const searchRef = useRef<HTMLInputElement>(null);
  const [breakGlassOpen, setBreakGlassOpen] = useState(false);
  useHotkeys([['/', () => searchRef.current?.focus()]]);

  useEffect(() => {
    const q = debounced.trim();
    if (q === (params.get('q') ?? '')) return;
    setParams(q ? { q } : {}, { replace: true });
  }, [debounced, params, setParams]);

  const q = params.get('q') ?? '';
  const { data, isPending, isFetching, error, refetch } = useQuery({
    queryKey: ['patients', q, offset],
    queryFn: ({ signal }) => get<Bundle<Patient>>(patientSearchPath(q, offset), signal),
    placeholderData: keepPreviousData,
  });
  const patients = resources(data);
  const total = data?.total;
  const hasNext = data?.link?.some((l) => l.relation === 'next') ?? false;
  const goTo = (nextOffset: number) =>
    setParams({ ...(q ? { q } : {}), ...(nextOffset ? { offset: String(nextOffset) } : {}) });

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={1} size="h3">
          Patients
        </Title>
        {canBreakGlass(user.role) && (
          <Button variant="outline" color={tone.danger} size="xs" onClick={() => setBreakGlassOpen(true)}>
            Emergency access (break-the-glass)
          </Button>
        )}
      </Group>
      <search>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setParams(text.trim() ? { q: text.trim() } : {});
          }}
        >
          <TextInput
            ref={searchRef}
            label="Search by name or MRN"
            description='Press "/" to search from anywhere on this page.'
            placeholder="e.g. Garcia, or 10234567"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            maw={420}
            type="search"
            name="q"
          />
        </form>
      </search>
      {error && (
        <Alert color="red" role="alert" title="The patient list could not be loaded">
          {error.message}{' '}
          <Anchor component="button" onClick={() => void refetch()}>
            Try again
          </Anchor>
        </Alert>
      )}
      <Text size="sm" aria-live="polite" data-testid="patient-count">
        {isPending
          ? 'Loading patients…'
          : total === undefined
            ? `${patients.length} patients`
            : total === 0
              ? q
                ? `No patient you can see matches “${q}”.`
                : 'You have no patients yet: none is on a care team you belong to.'
              : `${offset + 1}–${offset + patients.length} of ${total} patient${total === 1 ? '' : 's'}${q ? ` matching “${q}”` : ''}`}
      </Text>
      <Table.ScrollContainer minWidth={640}>
        <Table striped highlightOnHover aria-label="Patients" aria-busy={isFetching}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">Birth date (age)</Table.Th>
              <Table.Th scope="col">Sex</Table.Th>
              <Table.Th scope="col">Language</Table.Th>
              <Table.Th scope="col">MRN</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {isPending &&
              Array.from({ length: 8 }, (_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
                <Table.Tr key={i}>
                  {Array.from({ length: 5 }, (_, j) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: placeholder cells have no identity
                    <Table.Td key={j}>
                      <Skeleton height={14} />
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            {patients.map((p) => {
              const age = ageInYears(p.birthDate);
              return (
                <Table.Tr
                  key={p.id}
                  className="row-link"
                  data-testid="patient-row"
                  onClick={(e) => {
                    if ((e.target as HTMLElement).closest('a')) return;
                    navigate(`/patients/${p.id}`);
                  }}
                >
                  <Table.Td>
                    <Anchor component={Link} href={`/patients/${p.id}`} fw={600} data-patient-id={p.id}>
                      {sortableName(p.name)}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {formatDate(p.birthDate)}
                    {age !== undefined && ` (${age})`}
                  </Table.Td>
                  <Table.Td>{genderLabel(p.gender)}</Table.Td>
                  <Table.Td>
                    {preferredLanguage(p) ?? (
                      <Text span c="dimmed">
                        Not recorded
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ff="monospace">{mrn(p) ?? '—'}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {(offset > 0 || hasNext) && (
        <Group gap="xs" component="nav" aria-label="Pages of patients">
          <Button
            variant="default"
            size="xs"
            disabled={offset === 0}
            onClick={() => goTo(Math.max(0, offset - PAGE_SIZE))}
          >
            Previous<VisuallyHidden> page</VisuallyHidden>
          </Button>
          <Button variant="default" size="xs" disabled={!hasNext} onClick={() => goTo(offset + PAGE_SIZE)}>
            Next<VisuallyHidden> page</VisuallyHidden>
          </Button>
        </Group>
      )}
      {breakGlassOpen && <BreakGlassDialog onClose={() => setBreakGlassOpen(false)} />}
    </Stack>
  );
}
