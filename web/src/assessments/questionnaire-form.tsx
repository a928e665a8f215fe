/**
 * Renders any FHIR R4 Questionnaire as a form: groups as fieldsets, choice as radio buttons (check
 * boxes when the item repeats), open-choice with an "other" text, boolean as yes/no, numbers, text,
 * dates; enableWhen hides what does not apply. Large touch targets, one column: it is used on phones
 * by patients and caregivers as well as by staff. Missing required answers are named before sending.
 */
import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NumberInput,
  Radio,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useState } from 'react';
import {
  type Answer,
  type Answers,
  answerKey,
  isEnabled,
  missingRequired,
  optionOf,
  type Questionnaire,
  type QuestionnaireItem,
  responseItems,
} from './questionnaire-model';

export interface QuestionnaireFormProps {
  questionnaire: Questionnaire;
  initial?: Answers;
  submitLabel: string;
  /** Sends the completed response's items; throw to show the server's error. */
  onSubmit(items: unknown[], answers: Answers): Promise<void>;
  /** Saves what is answered so far (an in-progress response), when offered. */
  onSaveDraft?(items: unknown[], answers: Answers): Promise<void>;
  labels?: { required: string; missing: string; yes: string; no: string; other: string; saveDraft: string };
}

const english = {
  required: 'required',
  missing: 'Please answer:',
  yes: 'Yes',
  no: 'No',
  other: 'Other',
  saveDraft: 'Save and finish later',
};

export function QuestionnaireForm(props: QuestionnaireFormProps) {
  const labels = props.labels ?? english;
  const [answers, setAnswers] = useState<Answers>(props.initial ?? {});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<'submit' | 'draft'>();
  const set = (linkId: string, value: Answer[]) => setAnswers((a) => ({ ...a, [linkId]: value }));
  const items = props.questionnaire.item ?? [];

  async function send(kind: 'submit' | 'draft') {
    if (kind === 'submit') {
      const missing = missingRequired(items, answers);
      if (missing.length) {
        setError(`${labels.missing} ${missing.map((m) => m.prefix ?? m.text ?? m.linkId).join('; ')}`);
        return;
      }
    }
    setBusy(kind);
    setError(undefined);
    try {
      const out = responseItems(items, answers);
      if (kind === 'submit') await props.onSubmit(out, answers);
      else await props.onSaveDraft?.(out, answers);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void send('submit');
      }}
      data-testid="questionnaire-form"
    >
      <Stack gap="md">
        {props.questionnaire.description && (
          <Text size="sm" c="dimmed">
            {props.questionnaire.description}
          </Text>
        )}
        <Items items={items} answers={answers} set={set} labels={labels} />
        {error && (
          <Alert color="red" role="alert" data-testid="questionnaire-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          {props.onSaveDraft && (
            <Button variant="default" size="md" loading={busy === 'draft'} onClick={() => void send('draft')}>
              {labels.saveDraft}
            </Button>
          )}
          <Button type="submit" size="md" loading={busy === 'submit'}>
            {props.submitLabel}
          </Button>
        </Group>
        {props.questionnaire.copyright && (
          <Text size="xs" c="dimmed">
            {props.questionnaire.copyright}
          </Text>
        )}
      </Stack>
    </form>
  );
}

type Labels = typeof english;

function Items(props: {
  items: QuestionnaireItem[];
  answers: Answers;
  set(linkId: string, value: Answer[]): void;
  labels: Labels;
}) {
  return (
    <>
      {props.items
        .filter((item) => isEnabled(item, props.answers))
        .map((item) => (
          <Item key={item.linkId} item={item} {...props} />
        ))}
    </>
  );
}

function Item(props: {
  item: QuestionnaireItem;
  answers: Answers;
  set(linkId: string, value: Answer[]): void;
  labels: Labels;
}) {
  const { item, answers, set, labels } = props;
  const label = [item.prefix, item.text ?? item.linkId].filter(Boolean).join(' ');
  const given = answers[item.linkId] ?? [];
  const required = item.required ? { withAsterisk: true } : {};
  switch (item.type) {
    case 'group':
      return (
        <Fieldset legend={label} variant="unstyled" data-linkid={item.linkId}>
          <Stack gap="md">
            <Items items={item.item ?? []} answers={answers} set={set} labels={labels} />
          </Stack>
        </Fieldset>
      );
    case 'display':
      return <Text size="sm">{label}</Text>;
    case 'boolean': {
      const value = given[0] && 'valueBoolean' in given[0] ? String(given[0].valueBoolean) : '';
      return (
        <Radio.Group
          label={label}
          {...required}
          value={value}
          onChange={(v) => set(item.linkId, [{ valueBoolean: v === 'true' }])}
        >
          <Group gap="lg" mt={4}>
            <Radio size="md" value="true" label={labels.yes} />
            <Radio size="md" value="false" label={labels.no} />
          </Group>
        </Radio.Group>
      );
    }
    case 'choice':
    case 'open-choice': {
      const options = (item.answerOption ?? []).map(optionOf);
      const other = given.find(
        (a) => 'valueString' in a && !options.some((o) => answerKey(o.answer) === answerKey(a)),
      );
      if (item.repeats)
        return (
          <Checkbox.Group
            label={label}
            {...required}
            value={given.map(answerKey)}
            onChange={(keys) =>
              set(
                item.linkId,
                options.filter((o) => keys.includes(o.key)).map((o) => o.answer),
              )
            }
          >
            <Stack gap={8} mt={4}>
              {options.map((o) => (
                <Checkbox key={o.key} size="md" value={o.key} label={o.label} />
              ))}
            </Stack>
          </Checkbox.Group>
        );
      return (
        <Stack gap={4}>
          <Radio.Group
            label={label}
            {...required}
            value={given[0] ? answerKey(given[0]) : ''}
            onChange={(key) => {
              const option = options.find((o) => o.key === key);
              if (option) set(item.linkId, [option.answer]);
            }}
          >
            <Stack gap={8} mt={4}>
              {options.map((o) => (
                <Radio key={o.key} size="md" value={o.key} label={o.label} />
              ))}
            </Stack>
          </Radio.Group>
          {item.type === 'open-choice' && (
            <TextInput
              label={labels.other}
              value={other && 'valueString' in other ? other.valueString : ''}
              onChange={(e) => {
                const text = e.currentTarget.value;
                set(item.linkId, text ? [{ valueString: text }] : []);
              }}
            />
          )}
        </Stack>
      );
    }
    case 'integer':
    case 'decimal': {
      const first = given[0];
      const value =
        first &&
        ('valueInteger' in first ? first.valueInteger : 'valueDecimal' in first ? first.valueDecimal : '');
      return (
        <NumberInput
          label={label}
          {...required}
          allowDecimal={item.type === 'decimal'}
          value={value ?? ''}
          onChange={(v) =>
            set(
              item.linkId,
              typeof v === 'number'
                ? [item.type === 'integer' ? { valueInteger: Math.trunc(v) } : { valueDecimal: v }]
                : [],
            )
          }
        />
      );
    }
    case 'date': {
      const value = given[0] && 'valueDate' in given[0] ? given[0].valueDate : '';
      return (
        <TextInput
          type="date"
          label={label}
          {...required}
          value={value}
          onChange={(e) =>
            set(item.linkId, e.currentTarget.value ? [{ valueDate: e.currentTarget.value }] : [])
          }
        />
      );
    }
    default: {
      const value = given[0] && 'valueString' in given[0] ? given[0].valueString : '';
      const Input = item.type === 'text' ? Textarea : TextInput;
      return (
        <Input
          label={label}
          {...required}
          maxLength={item.maxLength}
          value={value}
          onChange={(e: { currentTarget: { value: string } }) =>
            set(item.linkId, e.currentTarget.value ? [{ valueString: e.currentTarget.value }] : [])
          }
        />
      );
    }
  }
}
