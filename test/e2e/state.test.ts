/** Cooldowns survive a restart through the state file; an unwritable state file costs nothing but that. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { startServer, STATE_FILE } from '../../src/cli/serve.js';
import { createLogger } from '../../src/util/log.js';
import { startStack, type Stack } from './harness.js';

const ask = (stack: Stack, model = 'gemini-2.5-flash') =>
  stack.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('the state file', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('keeps a 429 cooldown across a restart, and drops nothing else', async () => {
    stack = await startStack({ accounts: [{ email: 'st1@example.com' }, { email: 'st2@example.com' }] });
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 120_000 }, email: 'st1@example.com', times: 1 });
    await ask(stack);
    await ask(stack);
    await stack.rotor.close(1000);
    const saved = JSON.parse(await readFile(join(stack.dir, STATE_FILE), 'utf8')) as { cooldowns: Array<{ scope: string; model: string }> };
    expect(saved.cooldowns.map((c) => [c.scope, c.model])).toEqual([['bucket:user:st1@example.com', 'gemini-2.5-flash']]);
    expect((await stat(join(stack.dir, STATE_FILE))).mode & 0o777).toBe(0o600);

    // A new Rotor on the same folder remembers that st1 is cooling for flash.
    const result = loadConfig({
      PORT: '0',
      PERSISTENT_STORAGE_PATH: stack.dir,
      CODE_ASSIST_ENDPOINT: stack.sim.codeAssistEndpoint,
      GOOGLE_OAUTH_TOKEN_URL: stack.sim.tokenUrl,
      GEMINI_AUTH_PASSWORD: stack.password!,
    });
    if (!result.ok) throw new Error(result.errors.join('; '));
    stack.rotor = await startServer({ config: result.config, logger: createLogger({ sink: () => {} }) });
    stack.openai = new (await import('openai')).default({ baseURL: `${stack.rotor.url}/v1`, apiKey: stack.password!, maxRetries: 0 });
    stack.sim.resetStats();
    for (let i = 0; i < 4; i++) await ask(stack);
    expect(stack.sim.counts()['st1@example.com']?.generateContent ?? 0).toBe(0);
    expect(stack.sim.counts()['st2@example.com']?.generateContent).toBe(4);
    await ask(stack, 'gemini-2.5-pro');
    await ask(stack, 'gemini-2.5-pro');
    expect(stack.sim.counts()['st1@example.com']?.generateContent).toBe(1);
    const status = stack.rotor.pool.status();
    expect(status.credentials.find((c) => c.email === 'st1@example.com')!.models['gemini-2.5-flash']?.state).toBe('cooling_down');
  });

  it('serves on when the state file cannot be written, and says why until it can', async () => {
    stack = await startStack({ accounts: [{ email: 'uw1@example.com' }, { email: 'uw2@example.com' }] });
    // A directory where the file should be: every write fails, even for root.
    await rm(join(stack.dir, STATE_FILE), { force: true });
    await mkdir(join(stack.dir, STATE_FILE));
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 60_000 }, email: 'uw1@example.com', times: 1 });
    for (let i = 0; i < 3; i++) {
      await ask(stack);
      await stack.rotor.flushState();
    }
    expect(stack.rotor.stateError()).toBe('EISDIR');
    const res = await ask(stack);
    expect(res.choices[0]!.message.content).toBe('Echo from gemini-2.5-flash: hi');
    await rm(join(stack.dir, STATE_FILE), { recursive: true });
    await ask(stack, 'gemini-2.5-pro');
    await stack.rotor.flushState();
    expect(stack.rotor.stateError()).toBeUndefined();
  });
});
