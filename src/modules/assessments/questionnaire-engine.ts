/**
 * The questionnaire engine: checks a QuestionnaireResponse against its Questionnaire (FHIR R4
 * questionnaireresponse.html, "Validation") and tells renderers which items are enabled. Pure: no
 * store, no clock. Every issue names the item's linkId and where it sits in the response.
 */
import type {
  Coding,
  Questionnaire,
  QuestionnaireItem,
  QuestionnaireItemAnswerOption,
  QuestionnaireItemEnableWhen,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  QuestionnaireResponseItemAnswer,
  ValueSet,
} from 'fhir/r4.js';
import { type AnswerMap, answerValue, collectAnswers, sameCoding, valueKeys } from './response-values.js';

export interface ResponseIssue {
  linkId: string;
  /** FHIRPath-like location in the response, e.g. `QuestionnaireResponse.item[2].answer[0]`. */
  path: string;
  message: string;
  /** `warning`: accepted, but the caller should know (an answer value set that cannot be checked here). */
  severity: 'error' | 'warning';
  /** `required`: a required item left unanswered; `invalid`: anything else. */
  code: 'required' | 'invalid';
}

/** The answer[x] each item type takes (R4 questionnaire.html#item-type). */
const answerTypes: Record<string, readonly string[]> = {
  boolean: ['valueBoolean'],
  decimal: ['valueDecimal'],
  integer: ['valueInteger'],
  date: ['valueDate'],
  dateTime: ['valueDateTime'],
  time: ['valueTime'],
  string: ['valueString'],
  text: ['valueString'],
  url: ['valueUri'],
  choice: ['valueCoding', 'valueInteger', 'valueDate', 'valueTime', 'valueString', 'valueReference'],
  'open-choice': ['valueCoding', 'valueInteger', 'valueDate', 'valueTime', 'valueString', 'valueReference'],
  attachment: ['valueAttachment'],
  reference: ['valueReference'],
  quantity: ['valueQuantity'],
};

const datePattern = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;
const dateTimePattern =
  /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;
const timePattern = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?$/;

interface Walk {
  questionnaire: Questionnaire;
  inProgress: boolean;
  issues: ResponseIssue[];
}

/**
 * Answers in scope, innermost first: the enclosing group instance or answer, then outwards to the
 * whole response. enableWhen reads the nearest answer to its question, so in a repeating group each
 * instance's items follow that instance's answers (R4: "the answer in the same group instance").
 */
type Scopes = readonly AnswerMap[];

/**
 * The problems of `response` against `questionnaire`: unknown or misplaced items, answers of the
 * wrong type, codes not among the options, several answers to a non-repeating question, text over
 * maxLength, answers to disabled items, and (unless the response is in progress) required items left
 * unanswered, counted only when enabled. Errors make the response invalid; warnings do not.
 */
export function validateResponse(
  questionnaire: Questionnaire,
  response: QuestionnaireResponse,
): ResponseIssue[] {
  const walk: Walk = { questionnaire, inProgress: response.status === 'in-progress', issues: [] };
  const scopes = [collectAnswers(response.item ?? [])];
  checkItems(walk, scopes, questionnaire.item ?? [], response.item ?? [], 'QuestionnaireResponse');
  return walk.issues;
}

/** Only the errors (what makes a response invalid). */
export function responseErrors(
  questionnaire: Questionnaire,
  response: QuestionnaireResponse,
): ResponseIssue[] {
  return validateResponse(questionnaire, response).filter((i) => i.severity === 'error');
}

/**
 * The linkIds of the items enabled by the answers given so far, in questionnaire order (for
 * renderers; items inside repeating groups are judged on all instances' answers together).
 */
export function enabledItems(questionnaire: Questionnaire, response?: QuestionnaireResponse): string[] {
  const answers = collectAnswers(response?.item ?? []);
  const enabled: string[] = [];
  const visit = (items: QuestionnaireItem[]) => {
    for (const item of items) {
      if (!isEnabled(item, answers)) continue;
      enabled.push(item.linkId);
      visit(item.item ?? []);
    }
  };
  visit(questionnaire.item ?? []);
  return enabled;
}

/** True when the item's enableWhen conditions hold (R4: enableBehavior all by default, any when said). */
export function isEnabled(item: QuestionnaireItem, answers: AnswerMap | Scopes): boolean {
  const conditions = item.enableWhen ?? [];
  if (conditions.length === 0) return true;
  const scopes = answers instanceof Map ? [answers] : answers;
  const nearest = (question: string) => scopes.find((s) => s.has(question))?.get(question) ?? [];
  const results = conditions.map((c) => conditionHolds(c, nearest(c.question)));
  return item.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
}

function conditionHolds(c: QuestionnaireItemEnableWhen, given: QuestionnaireResponseItemAnswer[]): boolean {
  if (c.operator === 'exists') return given.length > 0 === (c.answerBoolean ?? true);
  const [key] = valueKeys(c).filter((k) => k.startsWith('answer'));
  if (!key) return false;
  const expected = (c as unknown as Record<string, unknown>)[key];
  const compare = (answer: QuestionnaireResponseItemAnswer): number | 'equal' | 'different' | undefined => {
    const actual = answerValue(answer);
    if (actual === undefined) return undefined;
    if (key === 'answerCoding')
      return sameCoding(actual as Coding, expected as Coding) ? 'equal' : 'different';
    if (key === 'answerQuantity') {
      const a = (actual as { value?: number }).value;
      const e = (expected as { value?: number }).value;
      return a === undefined || e === undefined ? undefined : a - e;
    }
    if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
    if (typeof actual === 'string' && typeof expected === 'string')
      return actual < expected ? -1 : actual > expected ? 1 : 0;
    if (typeof actual === 'boolean' && typeof expected === 'boolean')
      return actual === expected ? 'equal' : 'different';
    return undefined;
  };
  const test = (r: number | 'equal' | 'different' | undefined): boolean => {
    if (r === undefined) return false;
    const equal = r === 'equal' || r === 0;
    switch (c.operator) {
      case '=':
        return equal;
      case '!=':
        return !equal;
      case '>':
        return typeof r === 'number' && r > 0;
      case '<':
        return typeof r === 'number' && r < 0;
      case '>=':
        return typeof r === 'number' && r >= 0;
      case '<=':
        return typeof r === 'number' && r <= 0;
      default:
        return false;
    }
  };
  // An unanswered question satisfies no comparison, "!=" included (R4 enableWhen: "if there is no
  // answer, the condition is false"); with several answers, "!=" holds when none equals the value.
  if (given.length === 0) return false;
  if (c.operator === '!=') return given.every((a) => test(compare(a)));
  return given.some((a) => test(compare(a)));
}

function issue(
  walk: Walk,
  linkId: string,
  path: string,
  message: string,
  severity: 'error' | 'warning' = 'error',
  code: ResponseIssue['code'] = 'invalid',
) {
  walk.issues.push({ linkId, path, message, severity, code });
}

function missing(walk: Walk, definition: QuestionnaireItem, path: string) {
  issue(
    walk,
    definition.linkId,
    path,
    `"${definition.linkId}" (${label(definition)}) is required`,
    'error',
    'required',
  );
}

function checkItems(
  walk: Walk,
  scopes: Scopes,
  definitions: QuestionnaireItem[],
  given: QuestionnaireResponseItem[],
  path: string,
): void {
  const byLinkId = new Map(definitions.map((d) => [d.linkId, d]));
  const seen = new Map<string, number>();
  given.forEach((item, index) => {
    const at = `${path}.item[${index}]`;
    const definition = byLinkId.get(item.linkId);
    if (!definition) {
      issue(
        walk,
        item.linkId ?? '',
        at,
        `"${item.linkId}" is not an item of this questionnaire at this level`,
      );
      return;
    }
    const count = (seen.get(item.linkId) ?? 0) + 1;
    seen.set(item.linkId, count);
    if (count === 2 && !(definition.type === 'group' && definition.repeats))
      issue(walk, item.linkId, at, `"${item.linkId}" appears more than once but does not repeat`);
    checkItem(walk, scopes, definition, item, at);
  });
  for (const definition of definitions) {
    if (seen.has(definition.linkId) || !definition.required || walk.inProgress) continue;
    if (definition.type === 'display' || !isEnabled(definition, scopes)) continue;
    missing(walk, definition, path);
  }
}

function checkItem(
  walk: Walk,
  scopes: Scopes,
  definition: QuestionnaireItem,
  item: QuestionnaireResponseItem,
  at: string,
): void {
  const answers = item.answer ?? [];
  const enabled = isEnabled(definition, scopes);
  if (!enabled && (answers.length > 0 || (item.item ?? []).length > 0)) {
    issue(
      walk,
      definition.linkId,
      at,
      `"${definition.linkId}" is not enabled by the answers given (enableWhen) and must not be answered`,
    );
    return;
  }
  if (definition.type === 'group' || definition.type === 'display') {
    if (answers.length > 0)
      issue(
        walk,
        definition.linkId,
        `${at}.answer`,
        `"${definition.linkId}" is a ${definition.type} and takes no answer`,
      );
    if (definition.type === 'group')
      checkItems(
        walk,
        [collectAnswers(item.item ?? []), ...scopes],
        definition.item ?? [],
        item.item ?? [],
        at,
      );
    return;
  }
  if ((item.item ?? []).length > 0)
    issue(
      walk,
      definition.linkId,
      `${at}.item`,
      `"${definition.linkId}" is a question: nested items belong under its answers`,
    );
  if (answers.length === 0 && definition.required && !walk.inProgress) missing(walk, definition, at);
  if (answers.length > 1 && !definition.repeats)
    issue(
      walk,
      definition.linkId,
      `${at}.answer`,
      `"${definition.linkId}" takes one answer, ${answers.length} were given`,
    );
  answers.forEach((answer, index) => {
    const answerAt = `${at}.answer[${index}]`;
    checkAnswer(walk, definition, answer, answerAt);
    if ((answer.item ?? []).length > 0)
      checkItems(
        walk,
        [collectAnswers(answer.item ?? []), ...scopes],
        definition.item ?? [],
        answer.item ?? [],
        answerAt,
      );
  });
}

function checkAnswer(
  walk: Walk,
  definition: QuestionnaireItem,
  answer: QuestionnaireResponseItemAnswer,
  at: string,
): void {
  const allowed = answerTypes[definition.type] ?? [];
  const keys = valueKeys(answer).filter((k) => k.startsWith('value'));
  const linkId = definition.linkId;
  if (keys.length !== 1) {
    issue(walk, linkId, at, `"${linkId}" needs exactly one value in each answer`);
    return;
  }
  const key = keys[0]!;
  const value = (answer as Record<string, unknown>)[key];
  if (!allowed.includes(key)) {
    issue(
      walk,
      linkId,
      `${at}.${key}`,
      `"${linkId}" is a ${definition.type} question: ${key} is the wrong type (expected ${allowed.join(' or ')})`,
    );
    return;
  }
  if (key === 'valueInteger' && !Number.isInteger(value))
    issue(walk, linkId, `${at}.${key}`, `"${linkId}" needs a whole number`);
  if (key === 'valueDecimal' && (typeof value !== 'number' || !Number.isFinite(value)))
    issue(walk, linkId, `${at}.${key}`, `"${linkId}" needs a number`);
  if (key === 'valueBoolean' && typeof value !== 'boolean')
    issue(walk, linkId, `${at}.${key}`, `"${linkId}" needs true or false`);
  if (key === 'valueDate' && !(typeof value === 'string' && datePattern.test(value)))
    issue(walk, linkId, `${at}.${key}`, `"${linkId}" needs a date (YYYY, YYYY-MM or YYYY-MM-DD)`);
  if (key === 'valueDateTime' && !(typeof value === 'string' && dateTimePattern.test(value)))
    issue(walk, linkId, `${at}.${key}`, `"${linkId}" needs a date and time with a zone`);
  if (key === 'valueTime' && !(typeof value === 'string' && timePattern.test(value)))
    issue(walk, linkId, `${at}.${key}`, `"${linkId}" needs a time (hh:mm:ss)`);
  if (key === 'valueString') {
    if (typeof value !== 'string') issue(walk, linkId, `${at}.${key}`, `"${linkId}" needs text`);
    else if (definition.maxLength !== undefined && value.length > definition.maxLength)
      issue(
        walk,
        linkId,
        `${at}.${key}`,
        `"${linkId}" allows at most ${definition.maxLength} characters, ${value.length} were given`,
      );
  }
  if (definition.type === 'choice' || definition.type === 'open-choice')
    checkOption(walk, definition, key, value, at);
}

function checkOption(
  walk: Walk,
  definition: QuestionnaireItem,
  key: string,
  value: unknown,
  at: string,
): void {
  const linkId = definition.linkId;
  // Open-choice allows free text beside the options.
  if (definition.type === 'open-choice' && key === 'valueString') return;
  const options = definition.answerOption ?? [];
  if (options.length > 0) {
    if (!options.some((o) => optionMatches(o, key, value)))
      issue(
        walk,
        linkId,
        `${at}.${key}`,
        `"${linkId}": ${describe(key, value)} is not one of the item's answer options`,
      );
    return;
  }
  if (definition.answerValueSet && key === 'valueCoding') {
    const concepts = containedConcepts(walk.questionnaire, definition.answerValueSet);
    if (concepts === undefined) {
      issue(
        walk,
        linkId,
        `${at}.${key}`,
        `"${linkId}": the answer value set ${definition.answerValueSet} cannot be expanded here; the coding ${describe(key, value)} was accepted without checking it`,
        'warning',
      );
      return;
    }
    if (!concepts.some((c) => sameCoding(value as Coding, c)))
      issue(
        walk,
        linkId,
        `${at}.${key}`,
        `"${linkId}": ${describe(key, value)} is not in the answer value set ${definition.answerValueSet}`,
      );
  }
}

function optionMatches(option: QuestionnaireItemAnswerOption, key: string, value: unknown): boolean {
  if (key === 'valueCoding') return !!option.valueCoding && sameCoding(value as Coding, option.valueCoding);
  if (key === 'valueReference')
    return option.valueReference?.reference === (value as { reference?: string }).reference;
  return (option as Record<string, unknown>)[key] === value;
}

/** The codes of a ValueSet contained in the Questionnaire (`#id`) with enumerated concepts. */
function containedConcepts(questionnaire: Questionnaire, canonical: string): Coding[] | undefined {
  if (!canonical.startsWith('#')) return undefined;
  const vs = (questionnaire.contained ?? []).find(
    (r) => r.resourceType === 'ValueSet' && r.id === canonical.slice(1),
  ) as ValueSet | undefined;
  if (!vs) return undefined;
  const codes: Coding[] = [];
  for (const c of vs.expansion?.contains ?? []) codes.push({ system: c.system, code: c.code });
  for (const inc of vs.compose?.include ?? [])
    for (const c of inc.concept ?? []) codes.push({ system: inc.system, code: c.code });
  return codes.length > 0 ? codes : undefined;
}

function describe(key: string, value: unknown): string {
  if (key === 'valueCoding') {
    const c = value as Coding;
    return `code ${c.system ? `${c.system}|` : ''}${c.code}`;
  }
  return JSON.stringify(value);
}

function label(item: QuestionnaireItem): string {
  const text = item.text ?? item.linkId;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
