/**
 * An owner said in words. Task.owner often carries only a reference (`Practitioner/…`, `CareTeam/…`),
 * so the name is read once per reference (cached) from the FHIR API; a reference the user may not
 * read stays as its kind ("A practitioner").
 */
import { Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { type HumanName, humanName, type Resource } from '../fhir-format';

type Owner = string | { reference?: string; display?: string } | undefined;

const kinds: Record<string, string> = {
  Practitioner: 'A practitioner',
  PractitionerRole: 'A practitioner',
  CareTeam: 'The care team',
  Organization: 'An organization',
};

function nameOf(resource: Resource): string | undefined {
  if (resource.resourceType === 'Practitioner') return humanName(resource.name as HumanName[]);
  if (typeof resource.name === 'string') return resource.name;
  if (resource.resourceType === 'PractitionerRole')
    return (resource.practitioner as { display?: string } | undefined)?.display;
  return undefined;
}

export function OwnerName({ owner }: { owner: Owner }) {
  const reference = typeof owner === 'string' ? owner : owner?.reference;
  const display = typeof owner === 'object' ? owner?.display : undefined;
  const [type, id] = reference?.split('/') ?? [];
  const lookup = useQuery({
    queryKey: ['fhir', `/fhir/${type}/${id}`],
    queryFn: ({ signal }) => get<Resource>(`/fhir/${type}/${encodeURIComponent(id!)}`, signal),
    enabled: !display && Boolean(type && id && kinds[type]),
    staleTime: 10 * 60_000,
    retry: false,
  });
  if (!reference && !display)
    return (
      <Text span size="sm" c="dimmed">
        Unassigned
      </Text>
    );
  const text = display ?? (lookup.data && nameOf(lookup.data)) ?? kinds[type ?? ''] ?? reference;
  return (
    <Text span size="sm">
      {type === 'CareTeam' && !display ? 'The care team' : text}
    </Text>
  );
}
