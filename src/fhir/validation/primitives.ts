/**
 * Checks of one FHIR primitive value as it appears in JSON: its JSON type, then its lexical format, with
 * the same rules as @medplum/core's validator (its `fhirTypeToJsType` table and its R4 `validationRegexes`,
 * reused here so that both always agree), plus the two rules it leaves out: the empty string (which it
 * takes for "absent") and the format of Resource.id (typed System.String in the R4 definitions).
 */
import { fhirTypeToJsType, validationRegexes } from '@medplum/core';
import type { ValidationIssue } from './validation-issue.js';

/** How to check the values of one primitive element. */
export interface PrimitiveRule {
  /** FHIR type whose format applies: 'date', 'code', ... ('id' for Resource.id). */
  type: string;
  /** JSON type the value must have. */
  json: 'string' | 'number' | 'boolean';
  /** Lexical format (@medplum/core's validationRegexes, or isBase64); undefined when any text is fine. */
  format?: (text: string) => boolean;
  /** Longest text allowed, in characters; undefined when only the request body limit applies. */
  maxLength?: number;
  /** Extra numeric rule for the integer types. */
  numeric?: 'integer' | 'positiveInt' | 'unsignedInt';
}

export type PrimitiveProblem = [ValidationIssue['code'], string];

// FHIR R4 datatypes (string): "FHIR strings SHALL NOT exceed 1MB". The rule is string's, so it holds
// for the types derived from string (code, id, markdown) and for System.String (Element.id); the
// other primitives have none: "there is no specified upper limit to the size of a binary", and a
// scanned discharge summary in Attachment.data is routinely several MB. @medplum/core applies it to
// every primitive, which refused those documents; for them the request body limit is the bound.
const MAX_STRING_LENGTH = 1024 * 1024;
const STRING_TYPES = new Set(['string', 'code', 'id', 'markdown', 'http://hl7.org/fhirpath/System.String']);
const rules = new Map<string, PrimitiveRule>();

/** The rule for a primitive type code ('dateTime', 'http://hl7.org/fhirpath/System.String', ...). */
export function primitiveRule(type: string): PrimitiveRule {
  let rule = rules.get(type);
  if (!rule) {
    const json = (fhirTypeToJsType as Record<string, PrimitiveRule['json'] | undefined>)[type] ?? 'string';
    const regex = type === 'xhtml' ? undefined : validationRegexes[type];
    const format = type === 'base64Binary' ? isBase64 : regex && ((text: string) => regex.test(text));
    const numeric = type === 'integer' || type === 'positiveInt' || type === 'unsignedInt' ? type : undefined;
    const maxLength = STRING_TYPES.has(type) ? MAX_STRING_LENGTH : undefined;
    rule = { type, json, format, maxLength, numeric };
    rules.set(type, rule);
  }
  return rule;
}

/** True when @medplum/core knows the JSON type of this primitive type code. */
export function isKnownPrimitive(type: string): boolean {
  return type in fhirTypeToJsType;
}

/** What is wrong with `value` as a primitive of `rule`'s type, or undefined when it is fine. */
export function primitiveProblem(
  value: unknown,
  rule: PrimitiveRule,
  name: string,
): PrimitiveProblem | undefined {
  const got = typeof value;
  if (got !== rule.json) {
    const described = Array.isArray(value) ? 'an array' : got === 'object' ? 'an object' : `a ${got}`;
    return [
      'structure',
      `wrong JSON type: ${name} must be a JSON ${rule.json} (FHIR ${rule.type}), but ${described} was given`,
    ];
  }
  if (got === 'string') return stringProblem(value as string, rule);
  if (got === 'number') return numberProblem(value as number, rule);
  return undefined;
}

function stringProblem(text: string, rule: PrimitiveRule): PrimitiveProblem | undefined {
  if (text === '') {
    return ['value', 'empty string: FHIR primitive values must not be empty; omit the element'];
  }
  // Printable ASCII first: then the text is not all whitespace, and trim() need not run.
  const first = text.charCodeAt(0);
  if (!(first > 32 && first < 127) && !text.trim()) {
    return ['value', 'the value must contain non-whitespace content'];
  }
  if (rule.maxLength !== undefined && text.length > rule.maxLength)
    return ['value', `FHIR ${rule.type} values are limited to 1 MB (1,048,576 characters)`];
  if (rule.format === undefined || rule.format(text)) return undefined;
  const hint = FORMAT_HINTS[rule.type];
  return [
    'value',
    `${JSON.stringify(clip(text))} is not a valid FHIR ${rule.type}${hint ? `: ${hint}` : ''}`,
  ];
}

function numberProblem(n: number, rule: PrimitiveRule): PrimitiveProblem | undefined {
  if (!Number.isFinite(n)) return ['value', 'the number must be finite'];
  if (rule.numeric === undefined) return undefined;
  if (!Number.isInteger(n)) return ['value', `${n} is not a whole number, as FHIR ${rule.type} requires`];
  if (rule.numeric === 'positiveInt' && n <= 0) return ['value', `${n} is not a positiveInt (1 or more)`];
  if (rule.numeric === 'unsignedInt' && n < 0) return ['value', `${n} is not an unsignedInt (0 or more)`];
  return undefined;
}

/**
 * base64Binary as @medplum/core's regex defines it (the base64 alphabet in groups of four, `=` padding
 * only at the end), without the regex: it repeats a group per four characters, and on a few MB of
 * data (a scanned document) it overflowed the regular-expression stack.
 */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0 || /[^A-Za-z0-9+/=]/.test(text)) return false;
  const padding = text.indexOf('=');
  return padding < 0 || text.slice(padding) === '=' || text.slice(padding) === '==';
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What each format looks like, for messages. */
export const FORMAT_HINTS: Record<string, string> = {
  date: 'YYYY, YYYY-MM or YYYY-MM-DD with a real month and day',
  dateTime: 'YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with a time zone (Z or +hh:mm)',
  instant: 'YYYY-MM-DDThh:mm:ss(.sss) with a time zone (Z or +hh:mm)',
  time: 'hh:mm:ss(.sss), no time zone',
  id: "1 to 64 characters from A-Z, a-z, 0-9, '-' and '.'",
  code: 'no leading, trailing or double whitespace',
  uri: 'no whitespace',
  url: 'no whitespace',
  canonical: 'no whitespace',
  oid: 'urn:oid: followed by dotted numbers',
  uuid: 'urn:uuid: followed by a lowercase UUID',
  base64Binary: 'base64 encoded',
  string: 'no control characters other than tab, CR and LF',
  markdown: 'no control characters other than tab, CR and LF',
};
