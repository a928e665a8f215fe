/**
 * The baseline server for `npm run bench:load`: a Fastify hello-world (the same Fastify CareLoop is
 * built on, no plugins, no logging) on PORT and HOST. What it answers per second, measured by the same
 * load generator on the same machine in the same run, is what CareLoop's rates are divided by, so
 * that the targets hold on any machine. /health answers like CareLoop's, so startServer can wait for it.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.once('SIGTERM', () => {
  void app.close();
});
