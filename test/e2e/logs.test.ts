/**
 * Structured logs: one JSON line per request with its id (the x-request-id header), status, latency, credential
 * and model; prompts only at debug level and hidden unless DEBUG_REDACT_LOGS=false; no secret on any line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

const lines = (stack: Stack) => stack.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
const PROMPT = 'the secret recipe is 42 cloves of garlic';

describe('logs', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('one line per request with its id, status, latency, credential and model; no secret anywhere', async () => {
    stack = await startStack({ accounts: [{ email: 'logs@example.com' }], apiKeys: [{ key: 'AIzaSyLogsKey0000000000000000000000000000', projectId: 'lp' }] });
    const { response } = await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: PROMPT }] }).withResponse();
    const id = response.headers.get('x-request-id')!;
    await stack.genai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'native' });
    await fetch(`${stack.rotor.url}/v1/models`, { headers: { authorization: 'Bearer wrong-password-value' } });
    await new Promise((r) => setImmediate(r));
    const line = lines(stack).find((l) => l.msg === 'request' && l.req === id);
    expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/v1/chat/completions', status: 200, model: 'gemini-2.5-flash' });
    expect(typeof line!.ms).toBe('number');
    expect(stack.rotor.pool.get(String(line!.credential))).toBeDefined();
    expect(lines(stack).some((l) => l.msg === 'request' && l.status === 401)).toBe(true);
    // Every secret the test used: the password, the API key, the refresh and access tokens Google issued.
    const text = stack.logs.join('');
    const secrets = [stack.password!, 'AIzaSyLogsKey0000000000000000000000000000', '1//sim-refresh-logs@example.com', ...stack.sim.issuedTokens('logs@example.com')];
    for (const s of secrets) expect(text, s.slice(0, 6)).not.toContain(s);
  });

  it('shows a request body at debug level without its prompts, unless DEBUG_REDACT_LOGS=false', async () => {
    stack = await startStack({ accounts: [{ email: 'dbg@example.com' }] });
    await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: PROMPT }] });
    const body = lines(stack).find((l) => l.msg === 'request body');
    expect(body).toMatchObject({ level: 'debug', dialect: 'openai', body: { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: `‹${PROMPT.length} chars›` }] } });
    expect(stack.logs.join('')).not.toContain(PROMPT);
    await stack.close();

    stack = await startStack({ accounts: [{ email: 'dbg2@example.com' }], env: { DEBUG_REDACT_LOGS: 'false' } });
    await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: PROMPT }] });
    expect(lines(stack).find((l) => l.msg === 'request body')).toMatchObject({ body: { messages: [{ content: PROMPT }] } });
  });
});
