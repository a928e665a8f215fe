/**
 * One typed configuration object, read from the environment (and CLI flags) and validated at start:
 * a bad value stops start-up with one line naming the variable and the reason.
 */
import { z } from 'zod';
import { isIsoDate } from './business-calendar.js';

export interface Config {
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://...`. */
  databaseUrl: string;
  /** HTTP port of the API and web app. */
  port: number;
  /** Interface to bind; 0.0.0.0 so the demo is reachable from a host browser. */
  host: string;
  /** Largest accepted request body in bytes (FHIR bundles from EHRs can be large). */
  bodyLimitBytes: number;
  /** Largest page a search returns whatever `_count` asks for. */
  maxPageSize: number;
  /** Page size when `_count` is absent. */
  defaultPageSize: number;
  /** Reject writes whose relative references point at resources that do not exist (as HAPI does by default). */
  referentialIntegrity: boolean;
  /** Public base URL used in Location headers and Bundle links; derived from the request when unset. */
  baseUrl?: string;
  /** pino log level. */
  logLevel: string;
  /** Origins allowed to call the API from a browser (CORS); empty: no CORS headers at all. */
  corsOrigins: string[];
  /**
   * Requests per minute before 429: per user for a signed-in session or a token, per client address
   * for requests without valid credentials; 0 turns every request limit off (sign-in's included).
   */
  rateLimitPerMinute: number;
  /** Requests per minute per integration account (an EHR interface, an HL7 feed); 0: unlimited. */
  integrationRateLimitPerMinute: number;
  /** How often a long-lived response (the worklist's event stream) checks that its session or token still holds. */
  streamCheckMs: number;
  /** Minutes without a request after which a session ends (it also ends 12 hours after sign-in). */
  sessionIdleMinutes: number;
  /** IANA time zone of the care organization: day boundaries ("due today", "this week") are drawn in it. */
  timeZone: string;
  /** Holidays that are not business days (TCM contact, task due dates): the public list plus the organization's own. */
  holidays: { calendar: 'us-federal' | 'none'; extra: string[] };
  /** Port of the HL7 v2 MLLP listener started by `careloop serve`; undefined when turned off. */
  mllpPort?: number;
  /** PEM files of the MLLP listener's TLS certificate and key (TLS instead of plain TCP when set). */
  mllpTls?: { certPath: string; keyPath: string };
}

/** A whole number from `min` to `max`; a bad value is refused naming what the number counts. */
function wholeNumber(min: number, max: number, meaning: string) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number (${meaning})`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be from ${min} to ${max} (${meaning})`);
}

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite: or postgres://')
    .default('sqlite:./data/careloop.db'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  CARELOOP_BODY_LIMIT_MB: z.coerce.number().positive().max(1024).default(64),
  CARELOOP_MAX_PAGE_SIZE: z.coerce.number().int().positive().max(10_000).default(1000),
  CARELOOP_DEFAULT_PAGE_SIZE: z.coerce.number().int().positive().max(10_000).default(50),
  CARELOOP_REFERENTIAL_INTEGRITY: z.enum(['true', 'false']).default('true'),
  CARELOOP_BASE_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CARELOOP_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim().replace(/\/$/, ''))
        .filter(Boolean),
    )
    .refine((list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), {
      message: 'must be a comma-separated list of origins such as https://app.example.org',
    }),
  CARELOOP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  // 60,000 a minute is 1,000 requests a second: twice the 500 a second an interface is sized for at its
  // peak (a hospital's feed catching up after downtime, a bulk load one resource at a time).
  CARELOOP_INTEGRATION_RATE_LIMIT_PER_MINUTE: wholeNumber(
    0,
    10_000_000,
    'requests a minute per integration account; 0 turns its limit off',
  ).default(60_000),
  CARELOOP_STREAM_CHECK_SECONDS: wholeNumber(1, 3600, 'seconds between checks of a live stream').default(15),
  CARELOOP_SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  CARELOOP_TIME_ZONE: z
    .string()
    .default('America/New_York')
    .refine(isTimeZone, { message: 'must be an IANA time zone such as America/New_York' }),
  CARELOOP_MLLP_PORT: z
    .string()
    .default('2575')
    .refine((v) => v === 'off' || (/^\d{1,5}$/.test(v) && Number(v) <= 65535), {
      message: 'must be a port number, or 0 or off to turn the HL7 MLLP listener off',
    }),
  CARELOOP_MLLP_TLS_CERT: z.string().min(1).optional(),
  CARELOOP_MLLP_TLS_KEY: z.string().min(1).optional(),
  CARELOOP_HOLIDAYS: z.enum(['us-federal', 'none']).default('us-federal'),
  CARELOOP_EXTRA_HOLIDAYS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isIsoDate), {
      message: 'must be a comma-separated list of dates as YYYY-MM-DD such as 2026-12-24',
    }),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Thrown when a configuration value is invalid; its message is one line naming the variable. */
export class ConfigError extends Error {}

/** Reads and validates the configuration from an environment map (process.env by default). */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')} ${issue.message}`);
  }
  const e = parsed.data;
  if (!e.CARELOOP_MLLP_TLS_CERT !== !e.CARELOOP_MLLP_TLS_KEY)
    throw new ConfigError(
      'invalid configuration: CARELOOP_MLLP_TLS_CERT and CARELOOP_MLLP_TLS_KEY must be set together',
    );
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    host: e.HOST,
    bodyLimitBytes: Math.round(e.CARELOOP_BODY_LIMIT_MB * 1024 * 1024),
    maxPageSize: e.CARELOOP_MAX_PAGE_SIZE,
    defaultPageSize: e.CARELOOP_DEFAULT_PAGE_SIZE,
    referentialIntegrity: e.CARELOOP_REFERENTIAL_INTEGRITY === 'true',
    baseUrl: e.CARELOOP_BASE_URL,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CARELOOP_CORS_ORIGINS,
    rateLimitPerMinute: e.CARELOOP_RATE_LIMIT_PER_MINUTE,
    integrationRateLimitPerMinute: e.CARELOOP_INTEGRATION_RATE_LIMIT_PER_MINUTE,
    streamCheckMs: e.CARELOOP_STREAM_CHECK_SECONDS * 1000,
    sessionIdleMinutes: e.CARELOOP_SESSION_IDLE_MINUTES,
    timeZone: e.CARELOOP_TIME_ZONE,
    holidays: { calendar: e.CARELOOP_HOLIDAYS, extra: e.CARELOOP_EXTRA_HOLIDAYS },
    mllpPort:
      e.CARELOOP_MLLP_PORT === 'off' || Number(e.CARELOOP_MLLP_PORT) === 0
        ? undefined
        : Number(e.CARELOOP_MLLP_PORT),
    ...(e.CARELOOP_MLLP_TLS_CERT && e.CARELOOP_MLLP_TLS_KEY
      ? { mllpTls: { certPath: e.CARELOOP_MLLP_TLS_CERT, keyPath: e.CARELOOP_MLLP_TLS_KEY } }
      : {}),
    ...overrides,
  };
}
