import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';

function collect() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', sink: (l) => lines.push(l) }) };
}

describe('logger redaction', () => {
  it('masks known secrets by value, wherever they appear in the line', () => {
    const { lines, logger } = collect();
    logger.addSecret('sim-access-token-0001');
    logger.addSecret('hunter2-password');
    logger.info('token=sim-access-token-0001;pw:"hunter2-password" and sim-access-token-0001 again', { token: 'sim-access-token-0001' });
    expect(lines[0]).not.toMatch(/sim-access-token-0001|hunter2-password/);
    expect(lines[0]).toContain('sim-…001');
    expect(lines[0]).toContain('hunt…ord');
  });

  it('masks the longest secret when two share a beginning', () => {
    const { lines, logger } = collect();
    logger.addSecret('shared-prefix');
    logger.addSecret('shared-prefix-and-more-secret');
    logger.warn('x shared-prefix-and-more-secret y shared-prefix z');
    expect(lines[0]).toBe(lines[0]!.replace(/shared-prefix/g, '')); // neither appears in the clear
    expect(lines[0]).toContain('x shar…ret y shar…fix z');
  });

  it('masks Google-shaped tokens and JWTs it was never told about; leaves short values and ordinary text alone', () => {
    const { lines, logger } = collect();
    logger.addSecret('short');
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jb20ifQ.c2lnbmF0dXJl';
    logger.error(`ya29.a0AfH6SMBxyz key AIzaSyA1234567890abcdefghij jwt ${jwt} short words`);
    expect(lines[0]).not.toMatch(/ya29\.a0AfH6SMBxyz|AIzaSyA1234567890abcdefghij|eyJlbWFpbCI6/);
    expect(lines[0]).toContain('short words');
  });

  it('forgets a dropped secret (once per add), with tens of thousands of secrets known', () => {
    const { lines, logger } = collect();
    for (let i = 0; i < 30_000; i++) logger.addSecret(`credential-secret-${i}-xyz`);
    logger.addSecret('credential-secret-7-xyz'); // added twice
    logger.dropSecret('credential-secret-7-xyz');
    logger.dropSecret('credential-secret-9-xyz');
    logger.info('a credential-secret-7-xyz b credential-secret-9-xyz c credential-secret-29999-xyz');
    expect(lines[0]).toContain('a cred…xyz b credential-secret-9-xyz c cred…xyz');
    for (let i = 0; i < 2000; i++) logger.debug(`request ${i} for credential-secret-${i}-xyz failed: upstream said no`);
    expect(lines.at(-1)).toContain('request 1999 for cred…xyz failed');
  });

  it('writes one JSON object per line with time, level, message and fields', () => {
    const { lines, logger } = collect();
    logger.info('request', { req: 'abc-1', status: 200, ms: 3.5 });
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', msg: 'request', req: 'abc-1', status: 200, ms: 3.5 });
    expect(typeof line.time).toBe('string');
    expect(lines[0]!.endsWith('\n')).toBe(true);
  });

  it('masks a secret as it appears inside JSON too (quotes and backslashes escaped)', () => {
    const { lines, logger } = collect();
    logger.addSecret('pa"ss\\word-secret');
    logger.info('login', { password: 'pa"ss\\word-secret' });
    logger.info('said pa"ss\\word-secret');
    expect(lines.join('')).not.toContain('ss\\\\word-secret');
    expect(lines.join('')).not.toContain('word-secret');
  });

  it('writes the access line as the same JSON object, each value masked, a secret added later included', () => {
    const { lines, logger } = collect();
    logger.addSecret('hunter2-password');
    const fields = { req: 'r-1', method: 'POST', path: '/v1beta/models/hunter2-password:generateContent', status: 200, ms: 3.25, model: 'gemini-x' };
    logger.access(fields);
    logger.access({ ...fields, model: 'late-secret-value' }); // cached in the clear: no secret yet
    logger.addSecret('late-secret-value');
    logger.access({ ...fields, req: 'r"2', model: 'late-secret-value', token: 'AIzaSyA1234567890abcdefghij' });
    const [a, b, c] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'info', msg: 'request', req: 'r-1', method: 'POST', path: '/v1beta/models/hunt…ord:generateContent', status: 200, ms: 3.25 });
    expect(typeof a!.time).toBe('string');
    expect(b!.model).toBe('late-secret-value');
    expect(c).toMatchObject({ req: 'r"2', model: 'late…lue' });
    expect(lines[2]).not.toMatch(/late-secret-value|AIzaSyA1234567890abcdefghij|hunter2-password/);
    expect(lines.every((l) => l.endsWith('}\n'))).toBe(true);
  });

  it('writes the access line through pino when lines are pretty, and not at all above info', () => {
    const pretty: string[] = [];
    createLogger({ level: 'info', format: 'pretty', sink: (l) => pretty.push(l) }).access({ req: 'r-1', status: 200 });
    expect(pretty).toHaveLength(1);
    expect(pretty[0]).toContain('request');
    const quiet: string[] = [];
    createLogger({ level: 'warn', sink: (l) => quiet.push(l) }).access({ req: 'r-1', status: 200 });
    expect(quiet).toHaveLength(0);
  });
});
