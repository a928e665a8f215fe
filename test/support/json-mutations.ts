/**
 * Mutations of valid JSON bodies for property tests (fast-check): a value swapped for one of another
 * JSON type, an element removed, nesting deepened, an array element repeated, a number past the range a
 * double holds exactly, a key that reaches a prototype. Each mutation names its place by a number, taken
 * modulo the places the body has, so fast-check can shrink it and a failure replays from its seed.
 */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One change to a JSON body. */
export interface Mutation {
  kind: 'swap' | 'remove' | 'deepen' | 'repeat' | 'huge-number' | 'prototype-key';
  /** Which place of the body, modulo the number of places. */
  at: number;
  /** What a swap puts in place. */
  swap: Json;
  /** How many levels `deepen` adds. */
  depth: number;
}

const swaps: Json[] = [null, 0, -1, 1.5, '', 'x', true, [], {}, [null], { x: 1 }, '9223372036854775808'];

/** Arbitrary mutations, one to three per case. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(
  fc.record({
    kind: fc.constantFrom('swap', 'remove', 'deepen', 'repeat', 'huge-number', 'prototype-key'),
    at: fc.nat(),
    swap: fc.constantFrom(...swaps),
    // Mostly a few levels; sometimes thousands, past what a recursive walk survives.
    depth: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 30 }) }, fc.constant(3000)),
  }),
  { minLength: 1, maxLength: 3 },
);

interface Place {
  holder: Json[] | { [key: string]: Json };
  key: string | number;
}

/** Every (container, key) in `value`, root first, without recursion. */
function places(value: Json): Place[] {
  const out: Place[] = [];
  const stack: Json[] = [value];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (Array.isArray(current)) {
      current.forEach((child, i) => {
        out.push({ holder: current, key: i });
        stack.push(child);
      });
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        out.push({ holder: current, key });
        stack.push(child);
      }
    }
  }
  return out;
}

function deepen(value: Json, depth: number): Json {
  let out = value;
  for (let i = 0; i < depth; i++) out = i % 2 === 0 ? [out] : { extension: out };
  return out;
}

/**
 * The body as JSON text after the mutations (text, because a key `__proto__` must reach the server
 * as JSON, and a number past 2^63 has no exact double).
 */
export function mutate(body: unknown, changes: Mutation[]): string {
  const copy = structuredClone(body) as Json;
  let hugeNumber = false;
  let prototypeKey = false;
  let deep = false;
  for (const change of changes) {
    const all = places(copy);
    if (all.length === 0) continue;
    const { holder, key } = all[change.at % all.length]!;
    const get = () => (holder as Record<string | number, Json>)[key]!;
    const set = (v: Json) => {
      (holder as Record<string | number, Json>)[key] = v;
    };
    switch (change.kind) {
      case 'swap':
        set(change.swap);
        break;
      case 'remove':
        if (Array.isArray(holder)) holder.splice(key as number, 1);
        else delete holder[key as string];
        break;
      case 'deepen':
        // One far deepening per case: two would overflow this test's own JSON.stringify.
        set(deepen(get(), deep ? Math.min(change.depth, 30) : change.depth));
        deep ||= change.depth > 30;
        break;
      case 'repeat':
        set([get(), get(), get()]);
        break;
      case 'huge-number':
        set('@@HUGE@@');
        hugeNumber = true;
        break;
      case 'prototype-key':
        set({ '@@PROTO@@': { polluted: true } });
        prototypeKey = true;
        break;
    }
  }
  let text = JSON.stringify(copy);
  if (hugeNumber) text = text.replaceAll('"@@HUGE@@"', '9223372036854775808');
  if (prototypeKey) text = text.replaceAll('"@@PROTO@@"', '"__proto__"');
  return text;
}
