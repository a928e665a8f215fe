/** Flag parsing shared by the commands: node's parseArgs, with errors as one-line usage errors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A wrong flag or argument: the command exits 2 with one line. */
export class UsageError extends Error {}

/** Parses flags; unknown flags and missing values become a UsageError naming the flag. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

/** Reads a positive whole number flag. */
export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${flag} must be a whole number of 1 or more, not "${value}"`);
  return n;
}
