/** Logger.redact: the log's masking for text that is shown instead of logged (the login pages use it). */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';

describe('Logger.redact', () => {
  it('masks exactly what a log line masks: registered secrets and token-shaped strings', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', sink: (l) => lines.push(l) });
    logger.addSecret('client-secret-value-42');
    const text =
      'refused: ya29.a0AfH6SMBechoed-access and 1//0gRefreshTokenEchoed-xyz, key AIzaSyA1234567890abcdefghij, ' +
      'GOCSPX-clientsecret, client-secret-value-42; short words stay';
    const shown = logger.redact(text);
    logger.info(text);
    expect((JSON.parse(lines[0]!) as { msg: string }).msg).toBe(shown);
    expect(shown).not.toMatch(/ya29\.a0AfH6SMBechoed|1\/\/0gRefreshTokenEchoed|AIzaSyA1234567890|GOCSPX-clientsecret|client-secret-value-42/);
    expect(shown).toContain('refused: ya29…ess and 1//0…xyz');
    expect(shown).toContain('short words stay');
  });

  it('writes nothing and leaves ordinary text as it is', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'error', sink: (l) => lines.push(l) });
    expect(logger.redact('Google said: invalid_grant (Bad Request)')).toBe('Google said: invalid_grant (Bad Request)');
    expect(lines).toEqual([]);
  });

  it('forgets a dropped secret, as the log does', () => {
    const logger = createLogger({ sink: () => {} });
    logger.addSecret('rotating-secret-0001');
    expect(logger.redact('x rotating-secret-0001')).toBe('x rota…001');
    logger.dropSecret('rotating-secret-0001');
    expect(logger.redact('x rotating-secret-0001')).toBe('x rotating-secret-0001');
  });
});
