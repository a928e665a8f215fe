/**
 * A new care plan from a template: pick a template, see its goals, targets, activities and clinical
 * source, then record what matters to the patient, their preferences, barriers and whether they
 * agreed; POST creates the CarePlan, its Goals and the first Tasks, and the chart opens on the plan.
 */
import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  NativeSelect,
  Paper,
  Radio,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { get, post } from '../api';
import { humanName, type Patient } from '../fhir-format';
import { type Role, roleLabels } from '../roles';
import { useSubmit } from '../use-submit';
import { type CarePlanTemplate, carePlansPath, targetText } from '../workspace/workspace-api';

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export function CarePlanEditorPage() {
  const { id } = useParams<{ id: string }>();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const patient = useQuery({
    queryKey: ['fhir', `/fhir/Patient/${id}`],
    queryFn: ({ signal }) => get<Patient>(`/fhir/Patient/${encodeURIComponent(id)}`, signal),
  });
  const templates = useQuery({
    queryKey: ['care-plan-templates'],
    queryFn: ({ signal }) => get<{ templates: CarePlanTemplate[] }>('/api/care-plan-templates', signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [templateId, setTemplateId] = useState('');
  const [title, setTitle] = useState('');
  const [matters, setMatters] = useState('');
  const [barriers, setBarriers] = useState('');
  const [language, setLanguage] = useState('');
  const [contact, setContact] = useState('');
  const [times, setTimes] = useState('');
  const [agreed, setAgreed] = useState(false);
  const [agreementNote, setAgreementNote] = useState('');
  const { busy, error, setError, submit: send } = useSubmit();
  const template = templates.data?.templates.find((t) => t.id === templateId);
  const name = patient.data ? humanName(patient.data.name) : 'the patient';

  const submit = async () => {
    if (!template) {
      setError('Choose a template first.');
      return;
    }
    await send(async () => {
      await post(carePlansPath(id), {
        templateId: template.id,
        title: title.trim() || undefined,
        priorities: lines(matters),
        barriers: lines(barriers),
        preferences: {
          language: language.trim() || undefined,
          contact: contact || undefined,
          times: times.trim() || undefined,
        },
        agreement: { agreed, note: agreementNote.trim() || undefined },
      });
      await client.invalidateQueries({ queryKey: ['care-plans', id] });
      await client.invalidateQueries({ queryKey: ['fhir'] });
      await client.invalidateQueries({ queryKey: ['worklist'] });
      navigate(`/patients/${id}`);
    });
  };

  return (
    <Stack gap="sm" maw={1100}>
      <Anchor component={Link} href={`/patients/${id}`} size="sm">
        ← {name}’s chart
      </Anchor>
      <Title order={1} size="h3">
        New care plan for {name}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
          <Paper withBorder p="sm" component="section" aria-labelledby="template-heading">
            <Stack gap="xs">
              <Title order={2} size="h5" id="template-heading">
                1. Template
              </Title>
              {templates.isPending && <Skeleton height={120} />}
              {templates.error && (
                <Alert color="red" role="alert" p="xs">
                  {templates.error.message}
                </Alert>
              )}
              {templates.data && (
                <Radio.Group
                  value={templateId}
                  onChange={(v) => {
                    setTemplateId(v);
                    setTitle(templates.data.templates.find((t) => t.id === v)?.title ?? '');
                  }}
                  label="Start from"
                  name="template"
                >
                  <Stack gap={6} mt={4}>
                    {templates.data.templates.map((t) => (
                      <Radio
                        key={t.id}
                        value={t.id}
                        label={t.title}
                        description={t.condition ? `For ${t.condition}` : undefined}
                      />
                    ))}
                  </Stack>
                </Radio.Group>
              )}
              {template && <TemplatePreview template={template} />}
            </Stack>
          </Paper>
          <Paper withBorder p="sm" component="section" aria-labelledby="patient-heading">
            <Stack gap="xs">
              <Title order={2} size="h5" id="patient-heading">
                2. With {name}
              </Title>
              <TextInput label="Plan title" value={title} onChange={(e) => setTitle(e.currentTarget.value)} />
              <Textarea
                label="What matters to the patient"
                description="In their words, one per line."
                value={matters}
                onChange={(e) => setMatters(e.currentTarget.value)}
                autosize
                minRows={2}
              />
              <Textarea
                label="Barriers"
                description="What could get in the way (transport, cost, literacy…), one per line."
                value={barriers}
                onChange={(e) => setBarriers(e.currentTarget.value)}
                autosize
                minRows={2}
              />
              <Group grow align="flex-start">
                <TextInput
                  label="Preferred language"
                  value={language}
                  onChange={(e) => setLanguage(e.currentTarget.value)}
                />
                <NativeSelect
                  label="Preferred contact"
                  value={contact}
                  onChange={(e) => setContact(e.currentTarget.value)}
                  data={[
                    { value: '', label: 'Not stated' },
                    { value: 'phone', label: 'Phone' },
                    { value: 'sms', label: 'Text message' },
                    { value: 'email', label: 'Email' },
                    { value: 'portal', label: 'Portal message' },
                    { value: 'in-person', label: 'In person' },
                  ]}
                />
              </Group>
              <TextInput
                label="Best times to reach them"
                placeholder="e.g. weekday mornings"
                value={times}
                onChange={(e) => setTimes(e.currentTarget.value)}
              />
              <Checkbox
                label={`${name} agreed to this plan`}
                checked={agreed}
                onChange={(e) => setAgreed(e.currentTarget.checked)}
              />
              <TextInput
                label="Agreement note (optional)"
                value={agreementNote}
                onChange={(e) => setAgreementNote(e.currentTarget.value)}
              />
              {error && (
                <Alert color="red" role="alert" p="xs">
                  {error}
                </Alert>
              )}
              <Group justify="flex-end" gap="xs">
                <Button component={Link} href={`/patients/${id}`} variant="default">
                  Cancel
                </Button>
                <Button type="submit" loading={busy} disabled={!template}>
                  Create care plan
                </Button>
              </Group>
            </Stack>
          </Paper>
        </SimpleGrid>
      </form>
    </Stack>
  );
}

function TemplatePreview({ template }: { template: CarePlanTemplate }) {
  return (
    <Stack gap="xs" data-testid="template-preview">
      <Text size="xs">
        Source:{' '}
        <Anchor href={template.source.url} target="_blank" rel="noreferrer" size="xs">
          {template.source.title}
        </Anchor>{' '}
        · reviewed every {template.reviewIntervalDays} days
      </Text>
      <Table fz="sm" verticalSpacing={3} aria-label="Goals in this template">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Goal</Table.Th>
            <Table.Th scope="col">Target</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {template.goals.map((g) => (
            <Table.Tr key={g.id}>
              <Table.Td>{g.description}</Table.Td>
              <Table.Td>
                {targetText(g.target)}
                {g.measure && (
                  <Text span size="xs" c="dimmed">
                    {' '}
                    ({g.measure.display})
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Table fz="sm" verticalSpacing={3} aria-label="Activities in this template">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Activity</Table.Th>
            <Table.Th scope="col">Who</Table.Th>
            <Table.Th scope="col">When</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {template.activities.map((a) => (
            <Table.Tr key={a.id}>
              <Table.Td>{a.title}</Table.Td>
              <Table.Td>{a.role === 'patient' ? 'Patient' : (roleLabels[a.role as Role] ?? a.role)}</Table.Td>
              <Table.Td>
                {[a.dueInDays !== undefined ? `within ${a.dueInDays} d` : undefined, a.recurrence]
                  .filter(Boolean)
                  .join(', ') || 'Ongoing'}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
