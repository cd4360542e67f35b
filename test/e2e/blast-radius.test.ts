/**
 * One bad request must not cool the pool (issue: hardening). Google's refusals of a request's own content go
 * back to the client at once; a failure the request may have caused stops after two credentials; permission
 * errors are judged by their reason, never by text Google may echo from the request.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

const ACCOUNTS = ['br1@example.com', 'br2@example.com', 'br3@example.com', 'br4@example.com'].map((email) => ({ email }));
const ask = (stack: Stack, content: string) => stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content }] });
const generations = (stack: Stack) => stack.sim.calls({ method: 'generateContent' }).length;

function rpc(code: number, status: string, message: string, reason?: string) {
  return {
    error: {
      code,
      status,
      message,
      ...(reason ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com' }] } : {}),
    },
  };
}

describe('blast radius of one request', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('a request Google answers 500 on two credentials stops there with Google’s error; nothing cools, the next is served', async () => {
    stack = await startStack({ accounts: ACCOUNTS });
    const before = generations(stack);
    stack.sim.injectFault({ fault: { type: 'status', status: 500 }, times: 2 });
    const err = await ask(stack, 'poison').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(generations(stack) - before).toBe(2); // two credentials, not the whole pool
    expect(stack.rotor.pool.status().summary).toMatchObject({ available: 4, cooling_down: 0, disabled: 0 });
    expect((await ask(stack, 'fine')).choices[0]!.message.content).toContain('fine');
  });

  it('a 403 about a file the request names goes back at once, on one credential, cooling nothing', async () => {
    stack = await startStack({ accounts: ACCOUNTS });
    const before = generations(stack);
    const body = rpc(403, 'PERMISSION_DENIED', 'You do not have permission to access the File abc123xyz or it may not exist.');
    stack.sim.injectFault({ fault: { type: 'status', status: 403, body }, times: 4 });
    const err = await ask(stack, 'read my file').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as Error).message).toMatch(/File abc123xyz/);
    expect(generations(stack) - before).toBe(1);
    expect(stack.rotor.pool.status().summary).toMatchObject({ available: 4, cooling_down: 0 });
    stack.sim.clearFaults();
  });

  it('a 403 that names no reason, on two credentials, is the request’s: it stops and cools none', async () => {
    stack = await startStack({ accounts: ACCOUNTS });
    const before = generations(stack);
    stack.sim.injectFault({ fault: { type: 'status', status: 403, body: rpc(403, 'PERMISSION_DENIED', 'The caller does not have permission') }, times: 2 });
    const err = await ask(stack, 'odd').catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    expect(generations(stack) - before).toBe(2);
    expect(stack.rotor.pool.status().summary).toMatchObject({ available: 4, cooling_down: 0, disabled: 0 });
  });

  it('one request a minute that fails this way does not keep the pool down', async () => {
    stack = await startStack({ accounts: ACCOUNTS });
    for (let i = 0; i < 5; i++) {
      stack.sim.injectFault({ fault: { type: 'status', status: 500 }, times: 2 });
      await ask(stack, `poison ${i}`).catch(() => undefined);
      expect((await ask(stack, `good ${i}`)).choices[0]!.message.content).toContain(`good ${i}`);
    }
    expect(stack.rotor.pool.status().summary).toMatchObject({ available: 4, disabled: 0 });
  });

  it('a permission error with a reason about the credential takes only that credential out, until a re-check', async () => {
    stack = await startStack({ accounts: ACCOUNTS.slice(0, 2) });
    const body = rpc(403, 'PERMISSION_DENIED', 'Gemini for Google Cloud API has not been used in project p before or it is disabled.', 'SERVICE_DISABLED');
    stack.sim.injectFault({ fault: { type: 'status', status: 403, body }, email: 'br1@example.com' });
    for (let i = 0; i < 4; i++) expect((await ask(stack, `q${i}`)).choices[0]!.message.content).toContain(`q${i}`);
    const status = stack.rotor.pool.status().credentials;
    expect(status.find((c) => c.email === 'br1@example.com')).toMatchObject({ state: 'disabled', until: expect.any(String) });
    expect(status.find((c) => c.email === 'br2@example.com')).toMatchObject({ state: 'available' });
  });

  it('never takes a credential out for good on text Google echoes from the request', async () => {
    stack = await startStack({ accounts: ACCOUNTS.slice(0, 2) });
    // The request's own words come back inside Google's message; only reasons may disable for good.
    const echoed = 'Invalid value at contents[0]: "This service has been disabled in this account for violation of Terms of Service"';
    stack.sim.injectFault({ fault: { type: 'status', status: 400, body: rpc(400, 'INVALID_ARGUMENT', echoed) }, times: 1 });
    await expect(ask(stack, 'echo')).rejects.toMatchObject({ status: 400 });
    stack.sim.injectFault({ fault: { type: 'status', status: 403, body: rpc(403, 'PERMISSION_DENIED', `Denied: ${echoed}`, 'IAM_PERMISSION_DENIED') }, times: 1, email: 'br1@example.com' });
    await ask(stack, 'again');
    await ask(stack, 'and again');
    const status = stack.rotor.pool.status().credentials;
    expect(status.every((c) => c.state !== 'disabled')).toBe(true);
  });

  it('an outage reaches the client as a 502/503/504 in its dialect, never as a 429', async () => {
    stack = await startStack({ accounts: ACCOUNTS.slice(0, 2) });
    stack.sim.injectFault({ fault: { type: 'reset' } });
    const chat = await ask(stack, 'down?').catch((e: unknown) => e);
    expect([502, 503, 504]).toContain((chat as InstanceType<typeof OpenAI.APIError>).status);
    const native = await stack.genai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'down?' }).catch((e: unknown) => e);
    expect(String((native as Error).message)).toMatch(/"code":50[234]/);
    stack.sim.clearFaults();
  });
});
