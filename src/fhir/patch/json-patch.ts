/**
 * RFC 6902 JSON Patch, delegated to fast-json-patch with its errors translated into PatchError.
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { PatchError, refusePrototypeKey, refuseTooDeep } from './patch-error.js';

/** Applies an RFC 6902 JSON Patch to a copy of `resource`; throws PatchError naming the failing operation. */
export function applyJsonPatch<T extends object>(resource: T, operations: unknown): T {
  if (!Array.isArray(operations))
    throw new PatchError('A JSON Patch must be an array of operations', undefined, true);
  return refuseTooDeep(
    operations,
    (i) => `operation[${i}]`,
    () => apply(resource, operations),
  );
}

function apply<T extends object>(resource: T, operations: unknown[]): T {
  // Own copy: fast-json-patch links operation values into the result, which would alias the caller's patch.
  const ops = structuredClone(operations) as Operation[];
  // Shape checks for the whole sequence before anything is applied, so a bad last op fails fast.
  rethrow(jsonpatch.validate(ops), ops, true);
  ops.forEach(refusePrototypePointers);
  try {
    // mutateDocument=false: fast-json-patch works on its own deep copy, so the input is never touched.
    return jsonpatch.applyPatch(resource, ops, true, false).newDocument;
  } catch (err) {
    if (err instanceof jsonpatch.JsonPatchError) rethrow(err, ops, false);
    throw err;
  }
}

/** The `path` and `from` pointers of an operation may not step through a prototype (RFC 6901 segments). */
function refusePrototypePointers(op: Operation): void {
  for (const pointer of [op.path, (op as { from?: unknown }).from]) {
    if (typeof pointer !== 'string') continue;
    for (const segment of pointer.split('/').slice(1))
      refusePrototypeKey(segment.replaceAll('~1', '/').replaceAll('~0', '~'), pointer);
  }
}

function rethrow(
  err: InstanceType<typeof jsonpatch.JsonPatchError> | undefined,
  ops: Operation[],
  malformed: boolean,
): void {
  if (!err) return;
  const index = err.index;
  const op = index === undefined ? undefined : (ops[index] as Partial<Operation & { from: string }>);
  const detail = err.message.split('\n')[0];
  if (index === undefined)
    throw new PatchError(`Invalid JSON Patch (${err.name}): ${detail}`, undefined, malformed);
  if (!op || typeof op !== 'object')
    throw new PatchError(`JSON Patch operation ${index} is not an object`, `operation[${index}]`, malformed);
  // A fault of fit names the resource's pointer that did not fit; a malformed operation names its
  // own member (operation[2].path), since its pointer may be missing or not a string.
  const member = err.name.startsWith('OPERATION_FROM')
    ? 'from'
    : err.name.startsWith('OPERATION_VALUE')
      ? 'value'
      : err.name === 'OPERATION_OP_INVALID'
        ? 'op'
        : 'path';
  const pointer = member === 'from' ? op.from : op.path;
  throw new PatchError(
    `JSON Patch operation ${index} (${String(op.op)} ${String(op.path)}) failed (${err.name}): ${detail}`,
    !malformed && typeof pointer === 'string' ? pointer : `operation[${index}].${member}`,
    malformed,
  );
}
