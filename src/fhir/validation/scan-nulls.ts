/**
 * The walk's location stack and issue reporting, and the scan for nulls inside a value the walk does not
 * descend into (an unknown element, a value of the wrong shape): @medplum/core reports every null in the
 * JSON, wherever it is, so this keeps the same locations. The stack holds keys and array indices; a path
 * string is only built when an issue is reported.
 */
import { errorIssue, type ValidationIssue } from './validation-issue.js';

export class NullScanner {
  private readonly keys: string[] = [];
  private readonly indices: number[] = [];
  private depth = 0;

  constructor(
    rootSegment: string,
    protected readonly out: ValidationIssue[],
  ) {
    this.push(rootSegment, -1);
  }

  protected push(key: string, index: number): void {
    this.keys[this.depth] = key;
    this.indices[this.depth] = index;
    this.depth++;
  }

  protected setIndex(index: number): void {
    this.indices[this.depth - 1] = index;
  }

  protected pop(): void {
    this.depth--;
  }

  /** The path on top of the stack, e.g. `Patient.contact[0].telecom[1]`, plus `key[index]` if given. */
  protected path(key?: string, index = -1): string {
    let path = this.keys[0];
    for (let d = 1; d < this.depth; d++) {
      path += `.${this.keys[d]}`;
      if (this.indices[d] >= 0) path += `[${this.indices[d]}]`;
    }
    if (key !== undefined) path += index >= 0 ? `.${key}[${index}]` : `.${key}`;
    return path;
  }

  protected issue(code: ValidationIssue['code'], diagnostics: string, key?: string, index = -1): void {
    this.out.push(errorIssue(code, this.path(key, index), diagnostics));
  }

  /**
   * In FHIR JSON, null may only align a primitive array with its `_` companion array (section 2.6.2):
   * `given: ["a", null]` with `_given: [null, {...}]`. True when the partner has a value at `index`.
   */
  protected alignedNull(obj: Record<string, unknown>, key: string, index: number): boolean {
    const partner = obj[key.startsWith('_') ? key.slice(1) : `_${key}`] as
      | Record<number, unknown>
      | undefined;
    return partner !== null && partner !== undefined && !!partner[index];
  }

  /** Reports the nulls in `obj[key]` and below, where the walk itself does not go. */
  protected scanKey(obj: Record<string, unknown>, key: string, value: unknown): void {
    if (value === null) {
      this.issue('structure', SCANNED_NULL, key);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item === null) {
          if (!this.alignedNull(obj, key, i)) this.issue('structure', SCANNED_NULL, key, i);
        } else if (typeof item === 'object') {
          this.push(key, i);
          this.scanObject(item);
          this.pop();
        }
      }
    } else if (typeof value === 'object') {
      this.push(key, -1);
      this.scanObject(value);
      this.pop();
    }
  }

  /** Reports the nulls below the value on top of the stack. */
  protected scanObject(value: object): void {
    const obj = value as Record<string, unknown>;
    for (const key in obj) this.scanKey(obj, key, obj[key]);
  }
}

const SCANNED_NULL = 'null is not allowed in FHIR JSON; omit the element';
