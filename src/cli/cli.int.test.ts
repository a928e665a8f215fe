import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/careloop.js');

/** Runs the real `careloop` command against its own SQLite file. */
function careloop(args: string[], dir = mkdtempSync(join(tmpdir(), 'careloop-cli-'))) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, CI: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the careloop command', () => {
  it('answers an unknown command with one line and exit 2', () => {
    const { code, stderr } = careloop(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('careloop: unknown command "frobnicate"');
  });

  it('answers a missing required flag with one line naming it and exit 2', () => {
    const { code, stderr } = careloop(['generate', '--patients', '5']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('careloop: generate needs --out DIR');
  });

  it('answers a bad configuration value with one line naming the variable and exit 1', () => {
    const result = spawnSync(process.execPath, [bin, 'migrate'], {
      env: { ...process.env, DATABASE_URL: 'mysql://nope' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'careloop: invalid configuration: DATABASE_URL must start with sqlite: or postgres://',
    );
  });

  it('generates a population and imports it, printing the summary; a second import changes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-cli-'));
    const out = join(dir, 'population');
    const generated = careloop(['generate', '--patients', '3', '--seed', 'cli', '--out', out], dir);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/wrote 3 patients, \d+ resources in \d+ files/);
    const first = careloop(['import', out], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/2 files, \d+ bundles, \d+ resources/);
    expect(first.stdout).toMatch(/Patient\s+3/);
    const again = careloop(['import', out], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Patient\s+3/);
  });

  it('exits 1 and names the file and the reason when a bundle fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-cli-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', gender: 'x' }, request: { method: 'POST', url: 'Patient' } },
        ],
      }),
    );
    const { code, stdout } = careloop(['import', bad], dir);
    expect(code).toBe(1);
    expect(stdout).toContain(`${bad}: Patient.gender:`);
  });
});
