import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration of request limits and live streams', () => {
  it('defaults the integration limit to 60,000 requests a minute (1,000 a second) and stream checks to 15 s', () => {
    const config = loadConfig({});
    expect(config.rateLimitPerMinute).toBe(600);
    expect(config.integrationRateLimitPerMinute).toBe(60_000);
    expect(config.streamCheckMs).toBe(15_000);
  });

  it('reads the integration limit and the stream check interval from the environment', () => {
    const config = loadConfig({
      CARELOOP_INTEGRATION_RATE_LIMIT_PER_MINUTE: '0',
      CARELOOP_STREAM_CHECK_SECONDS: '5',
    });
    expect(config.integrationRateLimitPerMinute).toBe(0);
    expect(config.streamCheckMs).toBe(5000);
  });

  it('stops start-up with one line naming the variable and what its number counts', () => {
    const fails = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('no error');
    };
    expect(fails({ CARELOOP_INTEGRATION_RATE_LIMIT_PER_MINUTE: 'lots' })).toBe(
      'invalid configuration: CARELOOP_INTEGRATION_RATE_LIMIT_PER_MINUTE must be a whole number (requests a minute per integration account; 0 turns its limit off)',
    );
    expect(fails({ CARELOOP_INTEGRATION_RATE_LIMIT_PER_MINUTE: '20000000' })).toBe(
      'invalid configuration: CARELOOP_INTEGRATION_RATE_LIMIT_PER_MINUTE must be from 0 to 10000000 (requests a minute per integration account; 0 turns its limit off)',
    );
    expect(fails({ CARELOOP_STREAM_CHECK_SECONDS: '0' })).toBe(
      'invalid configuration: CARELOOP_STREAM_CHECK_SECONDS must be from 1 to 3600 (seconds between checks of a live stream)',
    );
  });
});
