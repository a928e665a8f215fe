/**
 * Revisions never overwrite: the store keeps every version, and each version CareLoop writes to a
 * plan or goal gets a Provenance (who, when, why) targeting exactly that version. This file records
 * them and reads them back as a revision list with the fields each version changed.
 */
import type { Provenance, Resource } from 'fhir/r4.js';
import { type AccessContext, systemContext } from '../../access/access-context.js';
import { getUser } from '../../access/identity/users.service.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { newId } from '../../fhir/store/write.js';

/** One version of a plan, as the contract shows it. */
export interface Revision {
  version: number;
  at: string;
  by?: string;
  byName?: string;
  reason?: string;
  changes: string[];
}

/**
 * A revision's Provenance targets a plan or goal version, not a Patient, so it is in no patient's
 * compartment (R4: Provenance.patient is a target that is a Patient) and only roles that reach every
 * clinical record see it; and not every role that may revise a plan may write clinical records
 * (social workers, community health workers). So it is written by the server's own context inside the
 * caller's transaction (the user's change and its record commit together or not at all), and read by
 * it once the history has been read as the user.
 */
const provenanceContext = () => systemContext('care-plans');

/** The name to record for the acting user (their account name), if they have one. */
async function actorName(store: ResourceStore, context: AccessContext): Promise<string | undefined> {
  if (!context.userId) return undefined;
  try {
    return (await getUser(store.executor, context.userId)).name ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records who wrote `resource` (the version just stored), when and why, in the open transaction `tx`.
 * The agent is the user's FHIR resource when linked, else their account (identifier + name).
 */
export async function recordRevision(
  tx: ResourceStore,
  resource: Resource,
  reason: string | undefined,
  activity: 'CREATE' | 'UPDATE',
): Promise<Provenance> {
  const context = tx.context;
  const name = await actorName(tx, context);
  const who = context.resource
    ? { reference: context.resource, ...(name ? { display: name } : {}) }
    : context.userId
      ? {
          identifier: { system: 'https://careloop.org/fhir/users', value: context.userId },
          ...(name ? { display: name } : {}),
        }
      : { display: context.actor };
  const provenance: Provenance = {
    resourceType: 'Provenance',
    target: [{ reference: `${resource.resourceType}/${resource.id}/_history/${resource.meta!.versionId}` }],
    recorded: resource.meta?.lastUpdated ?? tx.options.clock.now().toISOString(),
    activity: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: activity }],
    },
    agent: [
      {
        type: {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' },
          ],
        },
        who,
      },
    ],
    ...(reason ? { reason: [{ text: reason }] } : {}),
  };
  const [saved] = await tx
    .as(provenanceContext())
    .write([{ method: 'POST', resourceType: 'Provenance', id: newId(), resource: provenance }]);
  return saved!.resource as Provenance;
}

/**
 * The revisions of `resourceType/id`, oldest first: the versions the user may see (history is read as
 * the user, so a record out of reach answers 404), each with its Provenance and changed fields.
 */
export async function listRevisions(
  store: ResourceStore,
  resourceType: string,
  id: string,
): Promise<Revision[]> {
  const history = await store.history({ resourceType, id }, { count: 1000, offset: 0 }, '');
  const versions = (history.entry ?? [])
    .map((e) => ({
      version: Number(e.response?.etag?.replace(/\D/g, '')),
      at: e.response?.lastModified ?? '',
      resource: e.resource,
    }))
    .sort((a, b) => a.version - b.version);
  // The user has just been allowed to see these versions; their Provenance is read by the server.
  const found = await store.as(provenanceContext()).search(
    'Provenance',
    [
      ['target', `${resourceType}/${id}`],
      ['_count', '1000'],
    ],
    '',
  );
  const byVersion = new Map<number, Provenance>();
  for (const e of found.entry ?? []) {
    const p = e.resource as Provenance;
    for (const t of p.target) {
      const m = new RegExp(`^${resourceType}/${id}/_history/(\\d+)$`).exec(t.reference ?? '');
      if (m) byVersion.set(Number(m[1]), p);
    }
  }
  return versions.map((v, i) => {
    const p = byVersion.get(v.version);
    const who = p?.agent[0]?.who;
    return {
      version: v.version,
      at: v.at,
      ...(who?.reference || who?.identifier?.value
        ? { by: who.reference ?? `User/${who.identifier!.value}` }
        : {}),
      ...(who?.display ? { byName: who.display } : {}),
      ...(p?.reason?.[0]?.text ? { reason: p.reason[0].text } : {}),
      changes: i === 0 ? ['created'] : changedFields(versions[i - 1]!.resource, v.resource),
    };
  });
}

/**
 * The fields that differ between two versions, by top-level element; extensions are named by the
 * last segment of their URL ("extension:next-review"), so a reader sees what changed, not just "extension".
 */
export function changedFields(before: Resource | undefined, after: Resource | undefined): string[] {
  if (!after) return ['deleted'];
  if (!before) return ['restored'];
  const flatten = (r: Resource): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [key, value] of Object.entries(r)) {
      if (key === 'meta' || key === 'id' || key === 'text') continue;
      if (key === 'extension' && Array.isArray(value)) {
        for (const ext of value as { url: string }[]) {
          const name = `extension:${ext.url.split('/').pop()}`;
          out.set(name, (out.get(name) ?? '') + JSON.stringify(ext));
        }
      } else out.set(key, JSON.stringify(value));
    }
    return out;
  };
  const a = flatten(before);
  const b = flatten(after);
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}
