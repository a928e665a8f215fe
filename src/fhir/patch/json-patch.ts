/**
 * RFC 6902 JSON Patch, delegated to fast-json-patch with its errors translated into PatchError.
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { PatchError, refusePrototypeKey } from './patch-error.js';

/** Applies an RFC 6902 JSON Patch to a copy of `resource`; throws PatchError naming the failing operation. */
export function applyJsonPatch<T extends object>(resource: T, operations: unknown): T {
  if (!Array.isArray(operations))
    throw new PatchError('A JSON Patch must be an array of operations', undefined, true);
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
  if (index === undefined || !op || typeof op !== 'object') {
    throw new PatchError(`Invalid JSON Patch (${err.name}): ${detail}`, undefined, malformed);
  }
  const pointer = err.name === 'OPERATION_FROM_UNRESOLVABLE' ? op.from : op.path;
  throw new PatchError(
    `JSON Patch operation ${index} (${String(op.op)} ${String(op.path)}) failed (${err.name}): ${detail}`,
    typeof pointer === 'string' ? pointer : undefined,
    malformed,
  );
}
