/**
 * The banner's coordination facts: the lead coordinator (from the care team), active flags (risk,
 * safety) and whether consents are on file (a proxy, sharing decisions) — each said in words.
 */
import { Badge, Group, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { type Bundle, type CodeableConcept, conceptText, type Resource, resources } from '../fhir-format';
import { type CareTeamAnswer, careTeamPath } from '../workspace/workspace-api';

export function BannerExtras({ patientId }: { patientId: string }) {
  const pid = encodeURIComponent(patientId);
  const team = useQuery({
    queryKey: ['care-team', patientId],
    queryFn: ({ signal }) => get<CareTeamAnswer>(careTeamPath(patientId), signal),
  });
  // R4 defines no `status` search parameter on Flag: active ones are picked here.
  const flagsPath = `/fhir/Flag?patient=${pid}&_count=50`;
  const flags = useQuery({
    queryKey: ['fhir', flagsPath],
    queryFn: ({ signal }) => get<Bundle>(flagsPath, signal),
  });
  const consentPath = `/fhir/Consent?patient=${pid}&status=active&_count=20`;
  const consents = useQuery({
    queryKey: ['fhir', consentPath],
    queryFn: ({ signal }) => get<Bundle>(consentPath, signal),
  });
  const consentCount = resources(consents.data).length;
  return (
    <Group gap="lg" wrap="wrap">
      <Group gap={6} wrap="nowrap">
        <Text size="sm" c="dimmed">
          Lead coordinator
        </Text>
        <Text size="sm" fw={600} data-testid="lead-coordinator">
          {team.isPending ? '…' : (team.data?.lead?.display ?? 'None recorded')}
        </Text>
      </Group>
      {consents.data && (
        <Text size="sm">
          <Text span c="dimmed">
            Consents{' '}
          </Text>
          <Text span fw={600}>
            {consentCount === 0 ? 'None on file' : `${consentCount} active`}
          </Text>
        </Text>
      )}
      {resources(flags.data)
        .filter(isActiveFlag)
        .map((f) => (
          <Badge key={f.id} color="orange" variant="light" tt="none" data-testid="patient-flag">
            <span aria-hidden="true">⚑ </span>
            {conceptText(f.code as CodeableConcept) || 'Flag'}
          </Badge>
        ))}
    </Group>
  );
}

/** An active flag whose period has not ended (a readmission or suicide-risk flag stays until closed). */
function isActiveFlag(flag: Resource): boolean {
  const end = (flag.period as { end?: string } | undefined)?.end;
  return flag.status === 'active' && (!end || Date.parse(end) > Date.now());
}
