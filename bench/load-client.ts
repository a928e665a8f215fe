/**
 * One load generator process of `npm run bench:load` (started by startGenerators in
 * bench/load-generator.ts): says "ready" once loaded, then runs each load it is sent and sends back
 * what it measured, until the harness stops it. A process of its own, so the client never shares an
 * event loop with the server or with the harness.
 */
import { type LoadOptions, runLoad } from './load-generator.js';

process.on('message', (message: { type: string; options: LoadOptions }) => {
  if (message.type !== 'run') return;
  runLoad(message.options).then(
    (part) => process.send!({ type: 'done', part }),
    (err: Error) => process.send!({ type: 'error', error: err.message }),
  );
});
// The harness stops this process; until then it waits for the next load.
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
