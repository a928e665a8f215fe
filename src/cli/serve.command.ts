/**
 * `careloop serve [--demo]`: migrates, (with --demo) loads a generated population into an empty
 * database, and serves the web app and FHIR API until stopped.
 */
import { createDemoUsers } from '../access/identity/demo-users.js';
import { loadDemoData } from '../generator/demo-data.js';
import { hl7HandlersFor } from '../integrations/hl7/hl7-handlers.js';
import { createHl7Intake } from '../integrations/hl7/hl7-intake.js';
import { startConfiguredMllp } from '../integrations/hl7/mllp-listener.js';
import { ensureInstruments } from '../modules/assessments/questionnaires.js';
import { feedDemoTransitions } from '../modules/transitions/demo-transitions.js';
import { systemClock } from '../platform/clock.js';
import { buildApp } from '../server/app.js';
import { parseFlags, positiveInt } from './args.js';
import { startJobs } from './jobs.command.js';
import { openRuntime } from './runtime.js';

const help = `usage: careloop serve [--demo] [--demo-patients N]

Serves the web app and the FHIR R4 API on PORT (default 8080) over DATABASE_URL
(default sqlite:./data/careloop.db), applying migrations first, and HL7 v2 over MLLP on
CARELOOP_MLLP_PORT (default 2575; off turns it off).
  --demo              load a generated demo population when the database is empty, and
                      demo sign-ins (one per role) when there are no users
  --demo-patients N   size of that population (default 250)`;

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    demo: { type: 'boolean' },
    'demo-patients': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const demoPatients = positiveInt(
    values['demo-patients'] ?? process.env.CARELOOP_DEMO_PATIENTS,
    'demo-patients',
    250,
  );
  const runtime = await openRuntime();
  const { config, database } = runtime;
  const { app, store } = await buildApp(config, { database, clock: systemClock, logger: true });
  // The shipped screening instruments (PHQ-2/9, GAD-7, AHC HRSN, STEADI), once per url + version.
  await ensureInstruments(store);
  if (runtime.applied.length)
    app.log.info(`applied migrations ${runtime.applied.join(', ')} to ${database.description}`);
  if (values.demo) {
    const loaded = await loadDemoData(store, { patients: demoPatients });
    if (loaded)
      app.log.info(
        `the database was empty: loaded a generated demo population of ${loaded.patients} patients (${loaded.resources} resources) in ${loaded.seconds.toFixed(1)} s`,
      );
    const demo = await createDemoUsers(database, store, systemClock);
    // Demo staff identities and their shared password, not patient data: safe to log, and the way a
    // visitor learns how to sign in. Admin and auditor enrol an authenticator app at first sign-in.
    if (demo)
      app.log.info(
        `demo sign-ins (password "${demo.password}"): ${demo.users.map((u) => `${u.role} ${u.email}`).join(', ')}`,
      );
    const coordinator = demo?.users.find((u) => u.role === 'care-coordinator')?.resource;
    if (loaded && coordinator) {
      // Recent hospital stays through the real HL7 intake: the transitions board has work on day one.
      const intake = createHl7Intake({
        store,
        handlers: hl7HandlersFor(config),
        timeZone: config.timeZone,
        clock: systemClock,
      });
      const sent = await feedDemoTransitions(store, intake, coordinator);
      app.log.info(`fed ${sent} demo ADT messages (recent admissions and discharges) through the HL7 intake`);
    }
  }
  await app.listen({ port: config.port, host: config.host });
  // HL7 v2 feeds over MLLP (CARELOOP_MLLP_PORT, default 2575; off turns it off).
  const mllp = await startConfiguredMllp(config, store, app.log);
  // Recurring jobs (overdue escalation, ...) act as Device/careloop-jobs on the store's clock.
  const scheduler = await startJobs(store, config, app.log);
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  app.log.info(
    `CareLoop is running on ${database.description}: open http://${shownHost}:${config.port}/ (FHIR API at /fhir, API docs at /docs)`,
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  app.log.info('stopping');
  await mllp?.close();
  await scheduler.stop();
  await app.close();
  await database.close();
  return 0;
}
