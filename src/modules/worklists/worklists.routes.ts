/**
 * HTTP routes of the worklist: the ranked views, bulk reassignment and the live event stream.
 * Handlers parse, call the service as the signed-in user, and present.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../../access/identity/authenticate.js';
import type { CredentialCheck } from '../../access/identity/credential-check.js';
import { badRequest } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { connectTaskEvents, TaskEventBus } from './worklist-events.js';
import { ownerPattern, queryWorklist, reassignTasks, views } from './worklists.service.js';

export interface WorklistRoutesOptions {
  store: ResourceStore;
  /** The organization's time zone (config.timeZone). */
  timeZone: string;
  /** Milliseconds between keep-alive comments on the event stream (25 s; tests shorten it). */
  keepAliveMs?: number;
  /** Whether a stream's session or token still holds; the stream ends with it. */
  credentials: CredentialCheck;
}

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');
const priorities = ['routine', 'urgent', 'asap', 'stat'] as const;

const worklistQuery = z.object({
  view: z.enum(views).default('mine'),
  patient: id.optional(),
  priority: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',') : undefined))
    .refine((list) => !list || list.every((p) => (priorities as readonly string[]).includes(p)), {
      message: `must be a comma-separated list of ${priorities.join(', ')}`,
    }),
  sort: z.enum(['rank', 'due']).default('rank'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const reassignBody = z.object({
  taskIds: z.array(id).min(1).max(500),
  owner: z
    .string()
    .regex(ownerPattern, 'must be a Practitioner, PractitionerRole, CareTeam or Organization reference'),
  reason: z.string().max(500).optional(),
});

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw badRequest(`${issue.path.join('.') || 'body'}: ${issue.message}`, issue.path.join('.'));
}

/** Registers /api/worklist, /api/worklist/reassign and /api/worklist/events. */
export async function worklistRoutes(app: FastifyInstance, options: WorklistRoutesOptions): Promise<void> {
  const { store, timeZone } = options;
  const bus = new TaskEventBus();
  connectTaskEvents(store, bus);
  const streams = new Set<(reason?: string) => void>();
  app.addHook('onClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get(
    '/api/worklist',
    { schema: { tags: ['worklist'], summary: 'A ranked worklist view' } },
    async (request) => {
      const context = requireUser(request);
      const query = parse(worklistQuery, request.query);
      return queryWorklist(store.as(context), timeZone, query);
    },
  );

  app.post(
    '/api/worklist/reassign',
    {
      schema: { tags: ['worklist'], summary: 'Give several tasks to one owner' },
      config: { access: { writes: ['Task'] } },
    },
    async (request) => {
      const context = requireUser(request);
      const body = parse(reassignBody, request.body);
      return reassignTasks(store.as(context), body.taskIds, body.owner, body.reason);
    },
  );

  app.get(
    '/api/worklist/events',
    { schema: { tags: ['worklist'], summary: 'Server-sent events: tasks-changed' } },
    async (request, reply) => {
      const context = requireUser(request);
      const asUser = store.as(context);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      let closed = false;
      // The stream outlives the request's authentication: its credential is asked again on a timer
      // and before each event, and the stream ends (saying why) once the session or token has ended.
      const stillSignedIn = async (): Promise<boolean> => {
        const reason = await options.credentials.ended(context);
        if (reason) end(reason);
        return !reason;
      };
      const unsubscribe = bus.subscribe((taskIds) => {
        stillSignedIn()
          .then((live) =>
            live ? asUser.visibleKeys(taskIds.map((t) => ({ type: 'Task', id: t }))) : undefined,
          )
          .then((visible) => {
            const ids = taskIds.filter((t) => visible?.has(`Task/${t}`));
            if (ids.length && !closed)
              res.write(`event: tasks-changed\ndata: ${JSON.stringify({ taskIds: ids })}\n\n`);
          })
          .catch((err) => request.log.warn({ err: { message: (err as Error).message } }, 'worklist event'));
      });
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), options.keepAliveMs ?? 25_000);
      const recheck = setInterval(
        () =>
          void stillSignedIn().catch((err) =>
            request.log.warn({ err: { message: (err as Error).message } }, 'worklist stream check'),
          ),
        options.credentials.intervalMs,
      );
      /** Ends the stream; with a reason, tells the client first that its sign-in ended. */
      const end = (reason?: string) => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        clearInterval(recheck);
        unsubscribe();
        streams.delete(end);
        if (reason) res.write(`event: signed-out\ndata: ${JSON.stringify({ reason })}\n\n`);
        res.end();
      };
      streams.add(end);
      request.raw.on('close', () => end());
      res.on('close', () => end());
    },
  );
}
