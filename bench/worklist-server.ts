/**
 * The API server for the worklist benchmark: the app `careloop serve` builds, without the recurring
 * jobs (overdue escalation would otherwise start working through the benchmark's hundreds of
 * thousands of overdue tasks while the worklist is measured). Reads DATABASE_URL, PORT, HOST.
 * Each answer carries the server's own time (`server-timing: app;dur=<ms>`, from the request's
 * arrival to its answer being ready), so that the benchmark can tell it from the time the load
 * generator, on the same cores, adds. Only this benchmark server says it.
 */
import { openRuntime } from '../src/cli/runtime.js';
import { systemClock } from '../src/platform/clock.js';
import { buildApp } from '../src/server/app.js';

const runtime = await openRuntime();
const { app } = await buildApp(runtime.config, {
  database: runtime.database,
  clock: systemClock,
  logger: true,
});
app.addHook('onSend', async (_request, reply, payload) => {
  reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
  return payload;
});
await app.listen({ port: runtime.config.port, host: runtime.config.host });
process.once('SIGTERM', () => {
  void app.close().then(() => runtime.database.close());
});
