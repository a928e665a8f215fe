/**
 * The API server for the worklist benchmark: the app `careloop serve` builds, without the recurring
 * jobs (overdue escalation would otherwise start working through the benchmark's hundreds of
 * thousands of overdue tasks while the worklist is measured). Reads DATABASE_URL, PORT, HOST.
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
await app.listen({ port: runtime.config.port, host: runtime.config.host });
process.once('SIGTERM', () => {
  void app.close().then(() => runtime.database.close());
});
