/**
 * Credentials Google stopped serving in 2026, end to end (issue 9 §4): a "Code Assist for individuals" account
 * (UNSUPPORTED_CLIENT, met in project discovery or on the model call) and a standard Gemini API key (401
 * ACCESS_TOKEN_TYPE_UNSUPPORTED). The pool serves from the healthy credential, the broken one is disabled for good
 * with a reason that says what to use instead, and is never called again; alone, it makes Rotor answer a 503 that
 * tells the client not to retry. Asserts on the pool's status and the simulator's records only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APIError } from 'openai';
import { createApiKeyCredential } from '../../src/credentials/api-key.js';
import { startStack, type Stack, type StackOptions } from './harness.js';
import { chooseAccount, createClient, finishLogin, startLoginStack, type LoginStack } from '../login/helpers.js';

const RETIRED = 'retired@example.com';
const HEALTHY = 'healthy@example.com';
const OLD_KEY = 'AIzaSyE2e-old-standard-key-000000000000';
const NEW_KEY = 'AQ.Ab8RN6e2e-new-authorization-key-0000';

const ask = (stack: Stack, content = 'hi') =>
  stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content }] });

const askStream = async (stack: Stack, content = 'hi') => {
  const stream = await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
};

/** Sequential requests, alternating plain and streamed: round robin puts the broken credential in the way. */
async function serveSeveral(stack: Stack, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const text = i % 2 === 0 ? (await ask(stack, `q${i}`)).choices[0]?.message.content : await askStream(stack, `q${i}`);
    expect(text).toBe(`Echo from gemini-2.5-flash: q${i}`);
  }
}

function statusOf(stack: Stack, match: { email?: string; id?: string }) {
  const st = stack.rotor.pool.status().credentials.find((c) => (match.email ? c.email === match.email : c.id === match.id));
  if (!st) throw new Error(`no credential ${JSON.stringify(match)} in the pool status`);
  return st;
}

const accountVariants: Array<{ name: string; withProject: boolean }> = [
  { name: 'met in project discovery (no project in its file)', withProject: false },
  { name: 'met on the model call (project in its file)', withProject: true },
];

describe('UNSUPPORTED_CLIENT: a retired "Code Assist for individuals" account', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it.each(accountVariants)('$name: served by the healthy account, the retired one disabled for good and left alone', async ({ withProject }) => {
    stack = await startStack({
      accounts: [{ email: RETIRED, scenario: 'unsupported-client', withProject }, { email: HEALTHY }],
    });
    await serveSeveral(stack, 4);

    const retired = statusOf(stack, { email: RETIRED });
    expect(retired.state).toBe('disabled');
    expect(retired.until).toBeNull(); // not a cooldown, not a re-check
    expect(retired.models).toEqual({});
    // What happened, and what to use instead.
    expect(retired.reason).toMatch(/UNSUPPORTED_CLIENT/);
    expect(retired.reason).toMatch(/Code Assist for individuals/);
    expect(retired.reason).toMatch(/Gemini API key/);
    expect(retired.reason).toMatch(/Vertex AI/);
    expect(statusOf(stack, { email: HEALTHY }).state).toBe('available');

    const seen = (method: string, email: string) => stack.sim.calls({ method, email }).length;
    if (withProject) {
      expect(seen('generateContent', RETIRED) + seen('streamGenerateContent', RETIRED)).toBe(1);
      expect(seen('loadCodeAssist', RETIRED)).toBe(0);
    } else {
      expect(seen('loadCodeAssist', RETIRED)).toBe(1);
      expect(seen('onboardUser', RETIRED)).toBe(0);
      expect(seen('generateContent', RETIRED) + seen('streamGenerateContent', RETIRED)).toBe(0);
    }
    expect(seen('generateContent', HEALTHY) + seen('streamGenerateContent', HEALTHY)).toBe(4);

    // Later requests never reach the retired account again.
    const before = stack.sim.calls({ email: RETIRED, route: 'code-assist' }).length;
    await serveSeveral(stack, 3);
    expect(stack.sim.calls({ email: RETIRED, route: 'code-assist' }).length).toBe(before);
    expect(statusOf(stack, { email: RETIRED }).state).toBe('disabled');
  });
});

describe('an account Google retires while Rotor serves it', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('is disabled on its first refused call (countTokens included) and the pool carries on', async () => {
    stack = await startStack({ accounts: [{ email: RETIRED }, { email: HEALTHY }] });
    await serveSeveral(stack, 2);
    expect(stack.sim.calls({ method: 'generateContent', email: RETIRED }).length + stack.sim.calls({ method: 'streamGenerateContent', email: RETIRED }).length).toBe(1);

    stack.sim.updateAccount(RETIRED, { scenario: 'unsupported-client' });
    // The native route's countTokens goes through the same pool.
    for (let i = 0; i < 2; i++) {
      const counted = await stack.genai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'count me' });
      expect(counted.totalTokens).toBeGreaterThan(0);
    }
    const retired = statusOf(stack, { email: RETIRED });
    expect(retired.state).toBe('disabled');
    expect(retired.until).toBeNull();
    expect(retired.reason).toMatch(/UNSUPPORTED_CLIENT/);
    expect(stack.sim.calls({ method: 'countTokens', email: RETIRED }).length).toBe(1);

    const before = stack.sim.calls({ email: RETIRED, route: 'code-assist' }).length;
    await serveSeveral(stack, 3);
    expect(stack.sim.calls({ email: RETIRED, route: 'code-assist' }).length).toBe(before);
  });
});

describe('ACCESS_TOKEN_TYPE_UNSUPPORTED: a standard Gemini API key Google no longer accepts', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('is served by the healthy key; the rejected key is disabled with advice to create a new key in AI Studio', async () => {
    stack = await startStack({
      accounts: [],
      apiKeys: [
        { key: OLD_KEY, projectId: 'proj-old' },
        { key: NEW_KEY, projectId: 'proj-new' },
      ],
    });
    stack.sim.addApiKey({ key: OLD_KEY, projectId: 'proj-old', rejected: true });
    await serveSeveral(stack, 4);

    const old = statusOf(stack, { id: createApiKeyCredential(OLD_KEY).id });
    expect(old.route).toBe('gemini-api');
    expect(old.state).toBe('disabled');
    expect(old.until).toBeNull();
    expect(old.reason).toMatch(/ACCESS_TOKEN_TYPE_UNSUPPORTED/);
    expect(old.reason).toMatch(/create a new key in Google AI Studio/);
    expect(statusOf(stack, { id: createApiKeyCredential(NEW_KEY).id }).state).toBe('available');

    const oldCalls = () => stack.sim.calls({ route: 'gemini-api', project: 'proj-old' }).length;
    // Tried once: a key Google refuses by type is not worth a "refresh and retry".
    expect(oldCalls()).toBe(1);
    const newServed = stack.sim.calls({ route: 'gemini-api', project: 'proj-new' }).filter((c) => c.method === 'generateContent' || c.method === 'streamGenerateContent');
    expect(newServed.length).toBe(4);

    await serveSeveral(stack, 3);
    expect(oldCalls()).toBe(1);
  });
});

describe('ACCESS_TOKEN_TYPE_UNSUPPORTED on Code Assist is not a retired API key', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('an OAuth access token Google no longer knows earns one refresh and a retry, not a disable', async () => {
    stack = await startStack({ accounts: [{ email: HEALTHY }] });
    await serveSeveral(stack, 1);
    const [first] = stack.sim.issuedTokens(HEALTHY);
    // Revoked at Google before its expiry (Google's revoke endpoint): Code Assist then answers the bearer token
    // 401 UNAUTHENTICATED with ErrorInfo reason ACCESS_TOKEN_TYPE_UNSUPPORTED, as for any token it cannot use.
    const revoked = await fetch(`${stack.sim.url}/revoke?token=${encodeURIComponent(first!)}`, { method: 'POST' });
    expect(revoked.status).toBe(200);

    // On Code Assist this reason means an OAuth token Google cannot use, which a refresh fixes; only on the Gemini
    // API (metadata.service generativelanguage.googleapis.com, an API key) does it mean a retired key.
    const outcome = await ask(stack, 'after revoke').then(
      (r) => r.choices[0]?.message.content,
      (e: unknown) => `failed: ${(e as Error).message}`,
    );
    const account = statusOf(stack, { email: HEALTHY });
    expect({ outcome, state: account.state, reason: account.reason, tokens: stack.sim.issuedTokens(HEALTHY).length }).toEqual({
      outcome: 'Echo from gemini-2.5-flash: after revoke',
      state: 'available',
      reason: null,
      tokens: 2,
    });
  });
});

describe('only the broken credential', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  const cases: Array<{ name: string; options: StackOptions; reject?: true; reason: RegExp }> = [
    { name: 'retired account, no project', options: { accounts: [{ email: RETIRED, scenario: 'unsupported-client', withProject: false }] }, reason: /UNSUPPORTED_CLIENT/ },
    { name: 'retired account with a project', options: { accounts: [{ email: RETIRED, scenario: 'unsupported-client' }] }, reason: /UNSUPPORTED_CLIENT/ },
    { name: 'rejected API key', options: { accounts: [], apiKeys: [{ key: OLD_KEY, projectId: 'proj-old' }] }, reject: true, reason: /ACCESS_TOKEN_TYPE_UNSUPPORTED/ },
  ];

  it.each(cases)('$name: 503 "every credential is disabled", x-should-retry: false, from the first request on', async ({ options, reject, reason }) => {
    stack = await startStack(options);
    if (reject) stack.sim.addApiKey({ key: OLD_KEY, projectId: 'proj-old', rejected: true });

    const attempts = [() => ask(stack), () => askStream(stack), () => ask(stack)];
    for (const [i, attempt] of attempts.entries()) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(APIError);
      const api = err as APIError;
      expect(api.status).toBe(503);
      expect(api.headers?.get('x-should-retry')).toBe('false');
      expect(api.message).toMatch(/every credential is disabled/);
      // The first names Google's refusal (it just happened); later ones point to the status page that keeps it.
      expect(api.message).toMatch(i === 0 ? reason : /\/v1\/keys\/status/);
    }
    // The native route says the same to Google's SDKs and to raw clients.
    const native = await fetch(`${stack.rotor.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': stack.password! },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(native.status).toBe(503);
    expect(native.headers.get('x-should-retry')).toBe('false');
    expect(JSON.stringify(await native.json())).toMatch(/every credential is disabled/);

    const st = stack.rotor.pool.status();
    expect(st.summary).toMatchObject({ total: 1, disabled: 1, available: 0 });
    expect(st.credentials[0]!.until).toBeNull();
    // One upstream attempt in all; the later requests were refused without calling Google.
    const modelCalls = stack.sim.calls().filter((c) => ['generateContent', 'streamGenerateContent', 'loadCodeAssist'].includes(c.method));
    expect(modelCalls.length).toBe(1);
  });
});

describe('logging in a retired account (web login, no browser needed)', () => {
  let ls: LoginStack | undefined;
  afterEach(() => ls?.close());

  /** The result page's parts, as text. */
  const part = (html: string, id: string) =>
    (new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1] ?? '').replace(/&quot;/g, '"').replace(/\s+/g, ' ').trim();

  it('says the account cannot be used through Code Assist, what to use instead, and does not suggest retrying', async () => {
    ls = await startLoginStack([{ email: RETIRED, scenario: 'unsupported-client' }]);
    const c = createClient(ls.login.url);
    const result = await finishLogin(c, await chooseAccount(c, RETIRED));
    expect(result.html).toContain('data-result="error"');
    expect(await ls.files()).toEqual([]);
    const message = part(result.html, 'error-message');
    expect(message).toMatch(/UNSUPPORTED_CLIENT/);
    expect(message).toMatch(/Gemini API key/);
    expect(message).toMatch(/Vertex AI/);

    // Permanent, like the other ineligible accounts: a 403 whose hint points to API keys, never "try again later".
    const title = part(result.html, 'result');
    const hint = part(result.html, 'error-hint');
    expect({ status: result.status, title, hint }).toEqual({
      status: 403,
      title: expect.not.stringMatching(/setup failed/i),
      hint: expect.not.stringMatching(/temporary|in a minute|project ID/i),
    });
  });
});
