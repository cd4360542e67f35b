/**
 * RotorMetrics fed by hand: dispatch events and request ends, without a server. Fallbacks, tokens of a request
 * that fell back, the model of a request that failed or counted tokens, and label sets that stay bounded
 * whatever models clients ask for.
 */
import { describe, expect, it } from 'vitest';
import { DispatchEvents } from '../../src/dispatch/events.js';
import type { RequestEnd } from '../../src/http/chain.js';
import type { ApiRequest, ApiRoute } from '../../src/http/router.js';
import { RotorMetrics, type MetricsOptions } from '../../src/observe/metrics.js';
import { openAIDialect } from '../../src/translate/openai-chat/adapter.js';
import { parsePrometheusText, samples, total } from './metrics-text.js';

function setup() {
  const events = new DispatchEvents();
  const options = {
    events,
    pool: { status: () => ({ credentials: [], summary: { total: 0, available: 0, cooling_down: 0, disabled: 0 } }), list: () => [] },
    quota: {},
    queue: { stats: () => [], joined: () => new Map() },
    store: { health: () => ({ kind: 'memory', ok: true }) },
    models: ['gemini-2.5-pro', 'gemini-2.5-flash'],
    processMetrics: false,
  } as unknown as MetricsOptions;
  const metrics = new RotorMetrics(options);
  const route: ApiRoute = { method: 'POST', path: '/v1/chat/completions', dialect: openAIDialect, handle: () => undefined };
  let n = 0;
  const request = (id: string, served?: string): ApiRequest => ({ id, dialect: openAIDialect, ...(served ? { served: { credential: 'c', model: served } } : {}) }) as unknown as ApiRequest;
  const end = (status: number): RequestEnd => ({ route, status, started: performance.now() - ++n, firstFrame: undefined });
  const read = async () => parsePrometheusText(await metrics.scrape());
  return { events, metrics, request, end, read };
}

const done = (requestId: string, model: string, extra: Record<string, unknown> = {}) =>
  ({ type: 'done', requestId, model, operation: 'generate', outcome: 'ok', credential: 'c', route: 'gemini-api', latencyMs: 5, ...extra }) as const;

describe('RotorMetrics', () => {
  it('counts a fallback and gives the tokens to the model that served', async () => {
    const { events, read } = setup();
    events.emit({ type: 'fallback', requestId: 'r1', model: 'gemini-2.5-pro', to: 'gemini-2.5-flash' });
    events.emit(done('r1', 'gemini-2.5-pro', { usage: { promptTokenCount: 11, candidatesTokenCount: 5, thoughtsTokenCount: 3, cachedContentTokenCount: 2 } }));
    const m = await read();
    expect(samples(m, 'rotor_fallbacks_total').map((s) => [s.labels, s.value])).toEqual([[{ from: 'gemini-2.5-pro', to: 'gemini-2.5-flash' }, 1]]);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-flash', type: 'prompt' })).toBe(11);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-flash', type: 'completion' })).toBe(5);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-flash', type: 'thinking' })).toBe(3);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-flash', type: 'cached' })).toBe(2);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-pro' })).toBe(0);
  });

  it('labels a failed request (and one that only counted tokens) with the model it asked for', async () => {
    const { events, metrics, request, end, read } = setup();
    events.emit(done('f1', 'gemini-2.5-pro', { outcome: 'error', credential: undefined, route: undefined, error: '429' }));
    metrics.requestEnd(request('f1'), end(429));
    events.emit(done('c1', 'gemini-2.5-flash', { operation: 'countTokens' }));
    metrics.requestEnd(request('c1'), end(200));
    // A served generation names the model that served it; a request that reached no model, none.
    metrics.requestEnd(request('s1', 'gemini-2.5-flash'), end(200));
    metrics.requestEnd(request('n1'), end(400));
    const m = await read();
    expect(total(m, 'rotor_requests_total', { model: 'gemini-2.5-pro', status: '429' })).toBe(1);
    expect(total(m, 'rotor_requests_total', { model: 'gemini-2.5-flash', status: '200' })).toBe(2);
    expect(total(m, 'rotor_requests_total', { model: 'none', status: '400' })).toBe(1);
  });

  it('keeps label sets bounded: models it does not know are all "other"', async () => {
    const { events, metrics, request, end, read } = setup();
    for (let i = 0; i < 500; i++) {
      const model = `client-made-up-${i}`;
      events.emit({ type: 'attempt', requestId: `u${i}`, model, credential: 'c', route: 'gemini-api', attempt: 1 + (i % 2), outcome: 'error', status: 404, kind: 'not-found', blamed: false, latencyMs: 1, stream: false });
      events.emit(done(`u${i}`, model, { outcome: 'error', credential: undefined, route: undefined, error: '404', usage: { promptTokenCount: 1 } }));
      metrics.requestEnd(request(`u${i}`), end(404));
    }
    const m = await read();
    const series = [...m.values()].reduce((a, f) => a + f.samples.length, 0);
    expect(series).toBeLessThan(80);
    expect(samples(m, 'rotor_requests_total')).toEqual([{ name: 'rotor_requests_total', labels: { route: '/v1/chat/completions', dialect: 'openai', model: 'other', status: '404' }, value: 500 }]);
    expect(total(m, 'rotor_upstream_attempts_total', { model: 'other', kind: 'not-found' })).toBe(500);
    expect(total(m, 'rotor_failovers_total', { model: 'other' })).toBe(250);
    expect(total(m, 'rotor_tokens_total', { model: 'other', type: 'prompt' })).toBe(500);
    expect(JSON.stringify([...m.values()])).not.toContain('client-made-up');
  });

  it('stops listening when closed', async () => {
    const { events, metrics, read } = setup();
    metrics.close();
    expect(events.active).toBe(false);
    events.emit({ type: 'fallback', requestId: 'x', model: 'gemini-2.5-pro', to: 'gemini-2.5-flash' });
    expect(total(await read(), 'rotor_fallbacks_total')).toBe(0);
  });
});
