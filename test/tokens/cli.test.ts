/**
 * runTokens in process: usage errors (exit 2) before anything is opened, and the direct path over a state file
 * (no Rotor answering) — create, list, revoke — with only the hash written. The built command end to end is in
 * test/e2e/tokens-cli.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTokens, type TokensIo } from '../../src/cli/tokens.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { freePort } from '../store/redis-server.js';

function io(): TokensIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', isTTY: false, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

describe('rotor tokens, in process', () => {
  let dir: string;
  let config: Config;
  let opened = 0;
  const cfg = () => {
    opened++;
    return config;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotor-tokens-unit-'));
    // A port nothing listens on: the state file is used directly.
    const result = loadConfig({ PORT: String(await freePort()), HOST: '127.0.0.1', PERSISTENT_STORAGE_PATH: dir });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    config = result.config;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('usage errors exit 2, naming the problem, without reading the configuration', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /which one/],
      [['frob'], /unknown subcommand "frob"/],
      [['create'], /create needs --name/],
      [['create', '--name', 'x', '--rpm', 'zero'], /--rpm: expected a whole number/],
      [['create', '--name', 'x', '--daily-tokens', '0'], /--daily-tokens: expected a whole number/],
      [['create', '--name', 'bad name'], /name: expected 1 to 64 letters/],
      [['create', '--name', 'x', '--expires', 'soon'], /expires: expected a duration/],
      [['create', '--name', 'x', '--models', ' , '], /models: expected a list/],
      [['list', '--rpm', '3'], /--rpm does not apply to "tokens list"/],
      [['revoke'], /revoke takes one token name/],
      [['revoke', 'a', 'b'], /revoke takes one token name/],
      [['list', 'extra'], /unexpected argument "extra"/],
      [['create', '--name', 'x', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const o = io();
      expect(await runTokens(args, cfg, o), args.join(' ')).toBe(2);
      expect(o.stderr).toMatch(message);
      expect(o.stderr).toContain('usage:');
    }
    expect(opened).toBe(0);
    const help = io();
    expect(await runTokens(['--help'], cfg, help)).toBe(0);
    expect(help.stdout).toContain('rotor tokens watch');
  });

  it('without a running Rotor: creates, lists and revokes in the state file, which holds only the hash', async () => {
    const created = io();
    expect(await runTokens(['create', '--name', 'laptop', '--rpm', '10', '--daily-tokens', '100000', '--expires', '12h'], cfg, created)).toBe(0);
    expect(created.stderr).toContain('using the state file');
    const token = /(rotor_[A-Za-z0-9_-]{43})/.exec(created.stdout)![1]!;
    const file = await readFile(join(dir, 'rotor-state.json'), 'utf8');
    expect(file).toContain('"laptop"');
    expect(file).not.toContain(token);

    const list = io();
    expect(await runTokens(['list'], cfg, list)).toBe(0);
    const line = list.stdout.split('\n').find((l) => l.startsWith('laptop'))!;
    expect(line).toMatch(/laptop\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}\s+never\s+0 req, 0 tokens\s+10 rpm, 100,000 tokens\/day\s+\d{4}-/);

    const dup = io();
    expect(await runTokens(['create', '--name', 'laptop'], cfg, dup)).toBe(1);
    expect(dup.stderr).toContain('already exists');

    const revoked = io();
    expect(await runTokens(['revoke', 'laptop'], cfg, revoked)).toBe(0);
    const empty = io();
    expect(await runTokens(['list'], cfg, empty)).toBe(0);
    expect(empty.stdout).toContain('No access tokens');
    expect(await readFile(join(dir, 'rotor-state.json'), 'utf8')).not.toContain('"laptop"');
  });

  it('refuses to replace a state file it cannot parse', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'rotor-tokens-broken-'));
    try {
      await writeFile(join(broken, 'rotor-state.json'), '{ not json');
      const o = io();
      expect(await runTokens(['create', '--name', 'x'], () => ({ ...config, storagePath: broken }), o)).toBe(1);
      expect(o.stderr).toContain('is not valid JSON');
      expect(await readFile(join(broken, 'rotor-state.json'), 'utf8')).toBe('{ not json');
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('watch needs a running Rotor', async () => {
    const o = io();
    expect(await runTokens(['watch'], cfg, o)).toBe(1);
    expect(o.stderr).toContain('needs a running Rotor');
  });
});
