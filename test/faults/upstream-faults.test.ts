/**
 * Upstream faults against the simulator: 429 storms, 5xx, 401s, connection resets before and during streams,
 * a stalled upstream. While one healthy credential remains, no request fails (non-streaming, and streams
 * before their first byte); after the first byte, the client gets an error event in its dialect and a clean
 * end. No unhandled rejection, no crash, no token lost.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimFault } from '../../src/simulator/index.js';
import { ALL_KINDS, call, failures, storm, type Kind } from './load.js';
import { expectCredentialsIntact, startFaultStack, waitFor, watchProcess, type FaultStack } from './stack.js';

const emails = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}@example.com`);

describe('upstream faults', () => {
  let stack: FaultStack | undefined;
  let proc: ReturnType<typeof watchProcess>;
  beforeAll(() => {
    proc = watchProcess();
  });
  afterEach(async () => {
    if (stack) {
      // No crash: the process still answers, whatever the test did to it.
      const health = await fetch(`${stack.rotor.url}/health`);
      expect(await health.json()).toHaveProperty('status');
      await stack.close();
      stack = undefined;
    }
    expect(proc.problems).toEqual([]);
  });
  afterAll(() => proc.stop());

  /** Accounts 1..n-1 suffer `faults` (all generation methods, unlimited); the last one is healthy. */
  async function stormWith(faults: SimFault[], n = 4, env: Record<string, string> = {}) {
    const all = emails(faults.map((f) => f.type.slice(0, 2)).join(''), n);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })), env });
    all.slice(0, -1).forEach((email, i) => stack!.sim.injectFault({ fault: faults[i % faults.length]!, email }));
    return all;
  }

  it.each([
    { name: '429 storm (rate limits with short retry delays)', faults: [{ type: 'rate-limit', retryDelayMs: 150 }] },
    { name: 'quota exhausted and no capacity', faults: [{ type: 'quota-exhausted' }, { type: 'capacity', status: 503 }, { type: 'capacity' }] },
    { name: '500s', faults: [{ type: 'status', status: 500 }, { type: 'status', status: 502 }, { type: 'status', status: 503 }] },
    { name: 'connection resets before any byte', faults: [{ type: 'reset' }] },
    // Larger than the 64 KiB of an error answer Rotor reads (a proxy's HTML page): streamed, and with its length declared.
    {
      name: 'error answers too large to read',
      faults: [
        { type: 'status', status: 500, body: `<html>${'x'.repeat(100_000)}</html>` },
        { type: 'status', status: 502, body: { error: { message: 'y'.repeat(100_000) } } },
        { type: 'status', status: 503, body: `<html>${'z'.repeat(100_000)}</html>` },
      ],
    },
  ] satisfies Array<{ name: string; faults: SimFault[] }>)('$name: no request fails while a healthy credential remains', async ({ faults }) => {
    // Short cooldowns so that faulty credentials come back and fail again during the storm.
    const all = await stormWith(faults, 4, { DEFAULT_COOLDOWN_MS: '100' });
    const outcomes = await storm(stack!, 72, 12);
    expect(failures(outcomes)).toEqual([]);
    // The storm really hit the faulty accounts, and every success came from the healthy one.
    const counts = stack!.sim.counts();
    for (const email of all.slice(0, -1)) {
      const hits = (counts[email]?.generateContent ?? 0) + (counts[email]?.streamGenerateContent ?? 0);
      expect(hits, `${email} was tried`).toBeGreaterThan(0);
    }
    await expectCredentialsIntact(stack!, all);
  });

  it('401 on every call of one account: it refreshes, then cools down, and the others serve', async () => {
    const all = await stormWith([{ type: 'unauthenticated' }], 3);
    const outcomes = await storm(stack!, 36, 6);
    expect(failures(outcomes)).toEqual([]);
    const bad = all[0]!;
    const status = stack!.rotor.pool.status().credentials.find((c) => c.email === bad)!;
    expect(status.state).toBe('cooling_down');
    expect(status.reason).toMatch(/authentication failed/);
    // The forced refresh produced a new token, and it is on disk.
    expect(stack!.sim.issuedTokens(bad).length).toBeGreaterThanOrEqual(2);
    await expectCredentialsIntact(stack!, all);
  });

  it('streams cut before their first event fail over; the client sees a whole stream', async () => {
    const all = emails('cut0-', 4);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })), sim: { streamEvents: 4 }, env: { DEFAULT_COOLDOWN_MS: '100' } });
    for (const email of all.slice(0, -1)) stack.sim.injectFault({ fault: { type: 'cut-stream', afterEvents: 0 }, email, method: 'streamGenerateContent' });
    const outcomes = await storm(stack, 45, 9, ['chat-stream', 'stream-sse', 'stream-array']);
    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.every((o) => o.events >= 4)).toBe(true);
  });

  it.each(['chat-stream', 'stream-sse', 'stream-array'] as Kind[])(
    'a %s cut after its first event ends with an error in the client dialect, cleanly, and serving goes on',
    async (kind) => {
      const all = emails(`cut1-${kind}-`, 2);
      stack = await startFaultStack({ accounts: all.map((email) => ({ email })), sim: { streamEvents: 4 }, env: { DEFAULT_COOLDOWN_MS: '100' } });
      stack.sim.injectFault({ fault: { type: 'cut-stream', afterEvents: 1 }, method: 'streamGenerateContent', times: 1 });
      const o = await call(stack, kind, 'cut-me');
      // Status 200 was already sent; what follows the first event is an error in the dialect, then a clean end
      // (call() reports a broken connection as status 0).
      expect(o.status).toBe(200);
      expect(o.events).toBeGreaterThanOrEqual(1);
      const error = o.errorEvent as Record<string, unknown>;
      if (kind === 'chat-stream') expect(error).toMatchObject({ message: expect.stringMatching(/upstream/), type: expect.any(String) });
      else expect(error).toMatchObject({ code: expect.any(Number), message: expect.stringMatching(/upstream/), status: expect.stringMatching(/^[A-Z_]+$/) });
      // The pool learned from it (that credential cools), and the next requests are served.
      await waitFor('the cut credential to cool down and recover', () => stack!.rotor.pool.status().summary.available === 2, 3000);
      expect(failures(await storm(stack, 6, 3, ALL_KINDS))).toEqual([]);
    },
  );

  it('a stalled upstream times out (UPSTREAM_TIMEOUT_MS) and fails over; the stalled calls are abandoned', async () => {
    // Stalls far longer than the test runs: only Rotor's timeout can end a stalled call.
    // 1.5 s: on a host busy with other test runs a healthy answer can take longer than a few hundred ms.
    const all = await stormWith([{ type: 'stall', ms: 10 * 60_000 }], 4, { UPSTREAM_TIMEOUT_MS: '1500' });
    const outcomes = await storm(stack!, 24, 8);
    expect(failures(outcomes)).toEqual([]);
    // Rotor hung up on the stalled calls instead of leaving them open.
    await waitFor('stalled upstream calls to be abandoned', () => stack!.sim.aborted() >= 3, 3000);
    // Each stalled credential was blamed for its timeout (and cooled: requests in flight together count once,
    // so the cooldown may be over by now); the healthy one never was.
    const emailOf = (id: string) => stack!.rotor.pool.get(id)?.email;
    const blamed = new Set(
      stack!.events.flatMap((e) => (e.type === 'attempt' && e.outcome === 'error' && e.status === 504 && e.blamed ? [emailOf(e.credential)] : [])),
    );
    expect([...blamed].sort()).toEqual(all.slice(0, -1).sort());
  });

  it('an upstream that goes silent mid-stream ends the stream with an error event within the timeout', async () => {
    const all = emails('silent-', 2);
    stack = await startFaultStack({
      accounts: all.map((email) => ({ email })),
      sim: { streamEvents: 3, streamIntervalMs: 5_000 },
      env: { UPSTREAM_TIMEOUT_MS: '1500' },
    });
    for (const kind of ['chat-stream', 'stream-sse'] as Kind[]) {
      const o = await call(stack, kind, 'quiet');
      expect(o.status).toBe(200);
      expect(o.events).toBe(1);
      // The next event was 5 s away: an answer with one event and a timeout error came from UPSTREAM_TIMEOUT_MS.
      expect(JSON.stringify(o.errorEvent)).toMatch(/timed out/);
    }
    await waitFor('the silent upstream calls to be abandoned', () => stack!.sim.aborted() >= 2, 3000);
  });

  it('when every credential fails, clients get a prompt 503 in their dialect (an outage, not a quota), and service resumes when Google does', async () => {
    const all = emails('down-', 2);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })), env: { DEFAULT_COOLDOWN_MS: '200' } });
    stack.sim.injectFault({ fault: { type: 'status', status: 503 } });
    stack.sim.injectFault({ fault: { type: 'status', status: 503 }, method: 'countTokens' });
    const outcomes = await storm(stack, 12, 6);
    for (const o of outcomes) {
      expect(o.status, `${o.kind}: ${o.detail}`).toBe(503);
      const body = JSON.parse(o.detail) as { error: Record<string, unknown> };
      if (o.kind.startsWith('chat')) expect(body.error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
      else expect(body.error).toMatchObject({ code: o.status, status: expect.any(String), message: expect.any(String) });
    }
    stack.sim.clearFaults();
    await waitFor('credentials to come back', () => stack!.rotor.pool.status().summary.available === 2, 3000);
    expect(failures(await storm(stack, 12, 6))).toEqual([]);
  });
});
