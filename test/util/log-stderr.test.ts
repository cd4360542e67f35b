/**
 * Log lines on the real stderr (batched): every line arrives, in order, whether the process exits, crashes
 * or writes to stderr itself; a warning does not wait for the batch.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOG = pathToFileURL(join(import.meta.dirname, '../../dist/util/log.js')).href;

/** Runs a module body with `log` (a JSON logger on stderr) and `flushLogs` in scope; answers the messages in order. */
function run(body: string): { messages: string[]; status: number | null } {
  const script = `import { createLogger, flushLogs } from ${JSON.stringify(LOG)};\nconst log = createLogger({ level: 'debug', format: 'json' });\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  const messages = r.stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg: string }).msg : l.split('\n')[0]!));
  return { messages, status: r.status };
}

describe('log lines on stderr', () => {
  it('keeps their order across a warning, the batch and process.exit', () => {
    const r = run(`log.info('one'); log.debug('two'); log.warn('three'); log.info('four'); process.exit(3);`);
    expect(r.status).toBe(3);
    expect(r.messages).toEqual(['one', 'two', 'three', 'four']);
  });

  it('writes what is pending before a direct write to stderr, and before a crash', () => {
    const direct = run(`log.info('before'); flushLogs(); process.stderr.write('direct\\n'); log.info('after');`);
    expect(direct.messages).toEqual(['before', 'direct', 'after']);
    const crash = run(`log.info('last words'); setTimeout(() => { throw new Error('boom'); }, 0);`);
    expect(crash.status).not.toBe(0);
    expect(crash.messages[0]).toBe('last words');
  });

  it('sends a warning at once, without waiting for the batch', () => {
    // The process stays alive after the warning; stderr is read when it is killed, so only what was written
    // by then can appear: the info line (pending before the warning) and the warning.
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { createLogger } from ${JSON.stringify(LOG)};\nconst log = createLogger({ level: 'info', format: 'json' });\nlog.info('queued'); log.warn('now'); log.info('late'); process.kill(process.pid, 'SIGKILL');`],
      { encoding: 'utf8', timeout: 20_000 },
    );
    const messages = r.stderr.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual(['queued', 'now']);
  });
});
