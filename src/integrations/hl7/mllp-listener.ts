/**
 * The MLLP listener as `careloop serve` runs it: port and TLS from the configuration, the server's
 * handlers (hl7-handlers.ts), one log line per message with ids and codes only.
 */
import { readFileSync } from 'node:fs';
import type { ResourceStore } from '../../fhir/store/store.js';
import { type Config, ConfigError } from '../../platform/config.js';
import { hl7HandlersFor } from './hl7-handlers.js';
import { createHl7Intake } from './hl7-intake.js';
import { type MllpServer, startMllpServer } from './mllp-server.js';

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** Starts the listener when `config.mllpPort` is set; undefined when it is turned off. */
export async function startConfiguredMllp(
  config: Config,
  store: ResourceStore,
  log: Logger,
): Promise<MllpServer | undefined> {
  if (config.mllpPort === undefined) return undefined;
  const tls = config.mllpTls
    ? {
        cert: readPem(config.mllpTls.certPath, 'CARELOOP_MLLP_TLS_CERT'),
        key: readPem(config.mllpTls.keyPath, 'CARELOOP_MLLP_TLS_KEY'),
      }
    : undefined;
  const intake = createHl7Intake({
    store,
    handlers: hl7HandlersFor(config),
    timeZone: config.timeZone,
    clock: store.options.clock,
    log: (entry) => log.info({ hl7: entry }, 'hl7 message'),
  });
  const server = await startMllpServer({
    port: config.mllpPort,
    host: config.host,
    tls,
    intake,
    onEvent: (event) => log.warn({ mllp: event }, 'mllp connection'),
  });
  log.info(
    { port: server.port, tls: !!tls },
    `HL7 v2 MLLP listener on port ${server.port}${tls ? ' (TLS)' : ''}`,
  );
  return server;
}

function readPem(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `invalid configuration: ${variable} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
