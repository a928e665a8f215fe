/**
 * HTTP routes of the task workflow (docs/workspace-api.md, Tasks). Handlers parse, call the service
 * as the signed-in user, and present; access and audit happen in the store.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireUser } from '../../access/identity/authenticate.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { allowedTransitions } from './tasks.rules.js';
import { createTaskBody, noteBody, parse, reassignBody, taskParams, transitionBody } from './tasks.schema.js';
import {
  addTaskNote,
  claimTask,
  createTask,
  reassignTask,
  TransitionError,
  taskView,
  transitionTask,
} from './tasks.service.js';

export interface TasksRoutesOptions {
  store: ResourceStore;
}

/** The contract's 409: the move asked for, and the moves that are allowed from here. */
function refuseTransition(reply: FastifyReply, err: TransitionError) {
  return reply.code(409).send({
    error: {
      code: 'conflict',
      message: err.message,
      details: { from: err.from, to: err.to, allowed: err.allowed },
    },
  });
}

/** Registers /api/tasks routes. */
export async function tasksRoutes(app: FastifyInstance, options: TasksRoutesOptions): Promise<void> {
  const { store } = options;
  const tags = ['tasks'];
  const writesTask = { config: { access: { writes: ['Task'] } } };

  app.post(
    '/api/tasks',
    { schema: { tags, summary: 'Create a task' }, ...writesTask },
    async (request, reply) => {
      const as = store.as(requireUser(request));
      const input = parse(createTaskBody, request.body);
      const task = await createTask(as, input);
      return reply.code(201).send({ task });
    },
  );

  app.get(
    '/api/tasks/:id',
    { schema: { tags, summary: 'A task with its history and next moves' } },
    async (request) => {
      const as = store.as(requireUser(request));
      const { id } = parse(taskParams, request.params);
      return taskView(as, id);
    },
  );

  app.post(
    '/api/tasks/:id/transition',
    { schema: { tags, summary: 'Move a task to another status' }, ...writesTask },
    async (request, reply) => {
      const as = store.as(requireUser(request));
      const { id } = parse(taskParams, request.params);
      const input = parse(transitionBody, request.body);
      try {
        const task = await transitionTask(as, id, input);
        return { task, allowedTransitions: allowedTransitions(task.status) };
      } catch (err) {
        if (err instanceof TransitionError) return refuseTransition(reply, err);
        throw err;
      }
    },
  );

  app.post(
    '/api/tasks/:id/claim',
    { schema: { tags, summary: 'Claim a task' }, ...writesTask },
    async (request) => {
      const as = store.as(requireUser(request));
      const { id } = parse(taskParams, request.params);
      return { task: await claimTask(as, id) };
    },
  );

  app.post(
    '/api/tasks/:id/reassign',
    { schema: { tags, summary: 'Reassign a task' }, ...writesTask },
    async (request) => {
      const as = store.as(requireUser(request));
      const { id } = parse(taskParams, request.params);
      const input = parse(reassignBody, request.body);
      return { task: await reassignTask(as, id, input) };
    },
  );

  app.post(
    '/api/tasks/:id/notes',
    { schema: { tags, summary: 'Add a note to a task' }, ...writesTask },
    async (request) => {
      const as = store.as(requireUser(request));
      const { id } = parse(taskParams, request.params);
      const { text } = parse(noteBody, request.body);
      return { task: await addTaskNote(as, id, text) };
    },
  );
}
