/** What every command that touches data needs: configuration, an open and migrated database, the store. */
import { loadFhirDefinitions } from '../fhir/definitions.js';
import { createStore, type ResourceStore } from '../fhir/store/store.js';
import { systemClock } from '../platform/clock.js';
import { type Config, loadConfig } from '../platform/config.js';
import { type Database, openDatabase } from '../platform/database.js';
import { migrate } from '../platform/migrate.js';

export interface Runtime {
  config: Config;
  database: Database;
  store: ResourceStore;
  /** Migrations applied by this start. */
  applied: string[];
}

/** Loads config from the environment, opens and migrates the database, builds the store. */
export async function openRuntime(overrides: Partial<Config> = {}): Promise<Runtime> {
  const config = loadConfig(process.env, overrides);
  const database = await openDatabase(config.databaseUrl);
  try {
    const applied = await migrate(database);
    loadFhirDefinitions();
    const store = createStore(database, {
      clock: systemClock,
      referentialIntegrity: config.referentialIntegrity,
      defaultPageSize: config.defaultPageSize,
      maxPageSize: config.maxPageSize,
    });
    return { config, database, store, applied };
  } catch (err) {
    await database.close();
    throw err;
  }
}
