/**
 * A FHIR R4 Questionnaire on the client: the answers a form holds, which items are enabled
 * (enableWhen, enableBehavior), what is missing, and the QuestionnaireResponse they make. The server
 * validates again (src/modules/assessments/questionnaire-engine.ts); this is for the person filling
 * the form: hidden questions stay hidden and a missing answer is named before sending.
 */

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface QuestionnaireItem {
  linkId: string;
  text?: string;
  prefix?: string;
  type: string;
  required?: boolean;
  repeats?: boolean;
  readOnly?: boolean;
  maxLength?: number;
  code?: Coding[];
  enableWhen?: {
    question: string;
    operator: 'exists' | '=' | '!=' | '>' | '<' | '>=' | '<=';
    answerBoolean?: boolean;
    answerCoding?: Coding;
    answerInteger?: number;
    answerDecimal?: number;
    answerString?: string;
    answerDate?: string;
  }[];
  enableBehavior?: 'all' | 'any';
  answerOption?: { valueCoding?: Coding; valueString?: string; valueInteger?: number }[];
  item?: QuestionnaireItem[];
}

export interface Questionnaire {
  resourceType: 'Questionnaire';
  id?: string;
  url?: string;
  version?: string;
  title?: string;
  name?: string;
  description?: string;
  publisher?: string;
  copyright?: string;
  item?: QuestionnaireItem[];
}

/** One answer as FHIR writes it (QuestionnaireResponse.item.answer). */
export type Answer =
  | { valueCoding: Coding }
  | { valueBoolean: boolean }
  | { valueInteger: number }
  | { valueDecimal: number }
  | { valueString: string }
  | { valueDate: string };

export type Answers = Record<string, Answer[]>;

/** Every item, depth first (groups included), for lookups by linkId. */
export function flatten(items: QuestionnaireItem[] | undefined): QuestionnaireItem[] {
  return (items ?? []).flatMap((i) => [i, ...flatten(i.item)]);
}

function answerValue(a: Answer): unknown {
  return Object.values(a)[0];
}

function sameCoding(a: Coding | undefined, b: Coding | undefined): boolean {
  return !!a && !!b && a.code === b.code && (!a.system || !b.system || a.system === b.system);
}

function compare(answer: Answer, condition: NonNullable<QuestionnaireItem['enableWhen']>[number]): boolean {
  const expected =
    condition.answerCoding ??
    condition.answerBoolean ??
    condition.answerInteger ??
    condition.answerDecimal ??
    condition.answerString ??
    condition.answerDate;
  const actual = answerValue(answer);
  if (condition.answerCoding) {
    const match = sameCoding(actual as Coding, condition.answerCoding);
    return condition.operator === '!=' ? !match : condition.operator === '=' ? match : false;
  }
  switch (condition.operator) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>':
      return (actual as number) > (expected as number);
    case '<':
      return (actual as number) < (expected as number);
    case '>=':
      return (actual as number) >= (expected as number);
    case '<=':
      return (actual as number) <= (expected as number);
    default:
      return false;
  }
}

/** Whether an item is shown: its enableWhen conditions (all, or any) hold, and its parent is shown. */
export function isEnabled(item: QuestionnaireItem, answers: Answers): boolean {
  const conditions = item.enableWhen ?? [];
  if (conditions.length === 0) return true;
  const results = conditions.map((c) => {
    const given = answers[c.question] ?? [];
    if (c.operator === 'exists') return given.length > 0 === (c.answerBoolean ?? true);
    // "!=" holds when no answer equals the value (FHIR R4 enableWhen semantics).
    if (c.operator === '!=') return given.every((a) => compare(a, c));
    return given.some((a) => compare(a, c));
  });
  return item.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
}

/** The linkIds of required, enabled questions without an answer (in form order). */
export function missingRequired(
  items: QuestionnaireItem[] | undefined,
  answers: Answers,
): QuestionnaireItem[] {
  const out: QuestionnaireItem[] = [];
  for (const item of items ?? []) {
    if (!isEnabled(item, answers)) continue;
    if (item.type === 'group') out.push(...missingRequired(item.item, answers));
    else if (item.required && item.type !== 'display' && !(answers[item.linkId]?.length > 0)) out.push(item);
  }
  return out;
}

/** QuestionnaireResponse.item for the enabled, answered items, nested as the Questionnaire is. */
export function responseItems(items: QuestionnaireItem[] | undefined, answers: Answers): unknown[] {
  const out: unknown[] = [];
  for (const item of items ?? []) {
    if (!isEnabled(item, answers) || item.type === 'display') continue;
    if (item.type === 'group') {
      const children = responseItems(item.item, answers);
      if (children.length)
        out.push({ linkId: item.linkId, ...(item.text ? { text: item.text } : {}), item: children });
      continue;
    }
    const given = answers[item.linkId] ?? [];
    if (given.length)
      out.push({ linkId: item.linkId, ...(item.text ? { text: item.text } : {}), answer: given });
  }
  return out;
}

/** An option's label and its answer. */
export function optionOf(option: NonNullable<QuestionnaireItem['answerOption']>[number]): {
  key: string;
  label: string;
  answer: Answer;
} {
  if (option.valueCoding)
    return {
      key: `${option.valueCoding.system ?? ''}|${option.valueCoding.code ?? ''}`,
      label: option.valueCoding.display ?? option.valueCoding.code ?? '',
      answer: { valueCoding: option.valueCoding },
    };
  if (option.valueInteger !== undefined)
    return {
      key: `int|${option.valueInteger}`,
      label: String(option.valueInteger),
      answer: { valueInteger: option.valueInteger },
    };
  return {
    key: `str|${option.valueString ?? ''}`,
    label: option.valueString ?? '',
    answer: { valueString: option.valueString ?? '' },
  };
}

export function answerKey(a: Answer): string {
  if ('valueCoding' in a) return `${a.valueCoding.system ?? ''}|${a.valueCoding.code ?? ''}`;
  if ('valueInteger' in a) return `int|${a.valueInteger}`;
  if ('valueString' in a) return `str|${a.valueString}`;
  return JSON.stringify(a);
}
