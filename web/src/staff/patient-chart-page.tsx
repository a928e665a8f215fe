/**
 * The patient chart: a banner (name, age, sex, language and interpreter need, MRN) over the sections
 * that exist today — care plans with goal progress, open tasks, active problems, active medications,
 * care team (editable), recent encounters, recent observations, and a filterable timeline — read from the FHIR and workspace
 * APIs, which only answer for patients the user may see.
 */

import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'wouter';
import { ApiError, get } from '../api';
import { AssessmentsSection } from '../assessments/assessments-section';
import { CarePlanSection } from '../care-plans/care-plan-section';
import {
  ageInYears,
  type CodeableConcept,
  conceptText,
  formatDate,
  genderLabel,
  humanName,
  interpreterNeeded,
  mrn,
  observationValue,
  type Patient,
  preferredLanguage,
  type Reference,
  type Resource,
} from '../fhir-format';
import { canBreakGlass, hasWorklist } from '../roles';
import { useUser } from '../session';
import { tone } from '../theme';
import { BannerExtras } from './banner-extras';
import { BreakGlassDialog, EmergencyNotice } from './break-glass-dialog';
import { CareTeamSection } from './care-team-section';
import { ChartSection } from './chart-section';
import { OpenTasksSection } from './open-tasks-section';
import { TimelineSection } from './timeline-section';

export function PatientChartPage() {
  const { id } = useParams<{ id: string }>();
  const [params] = useSearchParams();
  const user = useUser();
  const [breakGlassOpen, setBreakGlassOpen] = useState(false);
  const patient = useQuery({
    queryKey: ['fhir', `/fhir/Patient/${id}`],
    queryFn: ({ signal }) => get<Patient>(`/fhir/Patient/${encodeURIComponent(id)}`, signal),
  });
  const emergencyUntil = params.get('emergencyUntil');

  if (patient.error) {
    const missing =
      patient.error instanceof ApiError && (patient.error.status === 404 || patient.error.status === 403);
    return (
      <Stack maw={640}>
        <Anchor component={Link} href="/patients" size="sm">
          ← Patients
        </Anchor>
        <Title order={1} size="h3">
          {missing ? 'Patient not available' : 'The record could not be loaded'}
        </Title>
        <Alert color={missing ? 'gray' : 'red'} role="alert">
          {missing
            ? 'This patient does not exist or is not on one of your care teams, so their record is not shown.'
            : patient.error.message}
        </Alert>
        {missing && canBreakGlass(user.role) && (
          <Button
            variant="outline"
            color={tone.danger}
            w="fit-content"
            onClick={() => setBreakGlassOpen(true)}
          >
            Emergency access (break-the-glass)
          </Button>
        )}
        {breakGlassOpen && <BreakGlassDialog patientId={id} onClose={() => setBreakGlassOpen(false)} />}
      </Stack>
    );
  }

  const p = patient.data;
  const pid = encodeURIComponent(id);
  return (
    <Stack gap="sm">
      <Group gap="md">
        <Anchor component={Link} href="/patients" size="sm">
          ← Patients
        </Anchor>
        {hasWorklist(user.role) && (
          <Anchor component={Link} href="/worklist" size="sm">
            ← Worklist
          </Anchor>
        )}
      </Group>
      {emergencyUntil && <EmergencyNotice until={emergencyUntil} />}
      <Paper withBorder p="sm" bg="gray.0" component="header" aria-label="Patient banner">
        {p ? <Banner patient={p} /> : <BannerSkeleton />}
        {p && <BannerExtras patientId={id} />}
      </Paper>
      <CarePlanSection patientId={id} />
      <OpenTasksSection patientId={id} />
      <AssessmentsSection patientId={id} />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
        <ChartSection<Resource>
          id="conditions"
          title="Active problems"
          path={`/fhir/Condition?patient=${pid}&clinical-status=active&_count=100`}
          empty="No active problems are recorded."
        >
          {(items) => (
            <CompactTable
              label="Active problems"
              head={['Problem', 'Since']}
              rows={items.map((c) => [
                conceptText(c.code as CodeableConcept) || 'Unnamed problem',
                formatDate((c.onsetDateTime as string) ?? (c.recordedDate as string)),
              ])}
            />
          )}
        </ChartSection>
        <ChartSection<Resource>
          id="medications"
          title="Active medications"
          path={`/fhir/MedicationRequest?patient=${pid}&status=active&_count=100`}
          empty="No active medication orders are recorded."
        >
          {(items) => (
            <CompactTable
              label="Active medications"
              head={['Medication', 'Instructions', 'Ordered']}
              rows={items.map((m) => [
                conceptText(m.medicationCodeableConcept as CodeableConcept) ||
                  (m.medicationReference as Reference | undefined)?.display ||
                  'Unnamed medication',
                ((m.dosageInstruction as { text?: string }[] | undefined)?.[0]?.text ?? '') as string,
                formatDate(m.authoredOn as string),
              ])}
            />
          )}
        </ChartSection>
        <CareTeamSection patientId={id} />
        <ChartSection<Resource>
          id="encounters"
          title="Recent encounters"
          path={`/fhir/Encounter?patient=${pid}&_sort=-date&_count=10`}
          empty="No encounters are recorded."
        >
          {(items) => (
            <CompactTable
              label="Recent encounters"
              head={['Date', 'Type', 'Reason']}
              rows={items.map((e) => [
                formatDate((e.period as { start?: string } | undefined)?.start),
                conceptText(e.type as CodeableConcept[]) ||
                  ((e.class as { display?: string; code?: string } | undefined)?.display ?? ''),
                conceptText(e.reasonCode as CodeableConcept[]),
              ])}
            />
          )}
        </ChartSection>
      </SimpleGrid>
      <ChartSection<Resource>
        id="observations"
        title="Recent observations"
        path={`/fhir/Observation?patient=${pid}&_sort=-date&_count=20`}
        empty="No observations (vital signs, results, assessments) are recorded."
      >
        {(items) => (
          <CompactTable
            label="Recent observations"
            head={['Date', 'Observation', 'Value']}
            rows={items.map((o) => [
              formatDate((o.effectiveDateTime as string) ?? (o.issued as string)),
              conceptText(o.code as CodeableConcept),
              observationValue(o),
            ])}
          />
        )}
      </ChartSection>
      <TimelineSection patientId={id} />
    </Stack>
  );
}

function Banner({ patient }: { patient: Patient }) {
  const age = ageInYears(patient.birthDate);
  const language = preferredLanguage(patient);
  const interpreter = interpreterNeeded(patient);
  const deceased = patient.deceasedDateTime ?? patient.deceasedBoolean;
  return (
    <Stack gap={4}>
      <Group gap="sm" align="baseline">
        <Title order={1} size="h3" data-testid="patient-name">
          {humanName(patient.name)}
        </Title>
        {deceased && (
          <Badge color="gray" variant="outline">
            Deceased{typeof deceased === 'string' ? ` ${formatDate(deceased)}` : ''}
          </Badge>
        )}
      </Group>
      <Group gap="lg" component="dl" m={0} wrap="wrap">
        <Fact
          term="Age"
          value={age === undefined ? 'Not recorded' : `${age} (born ${formatDate(patient.birthDate)})`}
        />
        <Fact term="Sex" value={genderLabel(patient.gender)} />
        <Fact term="Preferred language" value={language ?? 'Not recorded'} />
        <Fact
          term="Interpreter"
          value={interpreter === undefined ? 'Need not recorded' : interpreter ? 'Needed' : 'Not needed'}
        />
        <Fact term="MRN" value={mrn(patient) ?? 'None'} mono />
      </Group>
    </Stack>
  );
}

function Fact({ term, value, mono }: { term: string; value: string; mono?: boolean }) {
  return (
    <Group gap={6} wrap="nowrap">
      <Text component="dt" size="sm" c="dimmed">
        {term}
      </Text>
      <Text component="dd" size="sm" fw={600} m={0} ff={mono ? 'monospace' : undefined}>
        {value}
      </Text>
    </Group>
  );
}

function BannerSkeleton() {
  return (
    <Stack gap={8} aria-label="Loading the patient">
      <Skeleton height={22} width={260} />
      <Skeleton height={14} width="70%" />
    </Stack>
  );
}

function CompactTable({ label, head, rows }: { label: string; head: string[]; rows: string[][] }) {
  return (
    <Table.ScrollContainer minWidth={300}>
      <Table aria-label={label} fz="sm" verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            {head.map((h) => (
              <Table.Th key={h} scope="col">
                {h}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are a fixed rendering of one answer
            <Table.Tr key={i}>
              {row.map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                <Table.Td key={j}>{cell}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
