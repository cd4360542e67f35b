/**
 * Bad input on every route, over raw HTTP: thousands of malformed bodies (seeded, reproducible with
 * ROTOR_FUZZ_SEED) and a fixed catalogue of framing cases. Every answer is a 4xx in the route's dialect
 * naming the problem (or a 2xx where the input happens to be valid), never a 5xx or a hang; afterwards the
 * server still serves good requests and no credential was cooled down by a client's garbage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultStack, watchProcess, type FaultStack } from '../faults/stack.js';
import { PASSWORD } from '../faults/stack.js';
import { authHeaders, dialectOfPath, jsonRequest, routePath, validBodies, type CaseContext, type FuzzCase } from './cases.js';
import type { BodyRoute } from './bodies.js';
import { mutationCaseFor } from './mutations.js';
import { framingCases } from './framing.js';
import { hostileCases } from './hostile.js';
import { judge } from './oracle.js';
import { createRng, fuzzSeed } from './prng.js';
import { rawRequest, type RawResult } from './raw-http.js';

const LIMIT = 64 * 1024;
// Spread over every template of every route (21 templates: 9 OpenAI chat / Gemini, 7 Anthropic, 5 Responses).
const MUTATIONS = 4500;
const HOSTILE = 120;
const CONCURRENCY = 8;
const TIMEOUT_MS = 10_000;
const ACCOUNTS = ['fz1@example.com', 'fz2@example.com'];

async function runAll(url: string, cases: FuzzCase[], onResult: (c: FuzzCase, i: number, r: RawResult) => void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i]!;
      onResult(c, i, await rawRequest(url, c.request, TIMEOUT_MS));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

function report(seed: number, total: number, failures: string[]): string {
  return (
    `fuzz seed ${seed} (replay with ROTOR_FUZZ_SEED=${seed}): ${failures.length} of ${total} cases answered wrongly\n` +
    failures.filter((f) => !process.env.FUZZ_GREP || new RegExp(process.env.FUZZ_GREP).test(f)).slice(0, Number(process.env.FUZZ_SHOW ?? 40)).join('\n') +
    (failures.length > 40 ? `\n… and ${failures.length - 40} more` : '')
  );
}

/** What is wrong with a 200 answer to a valid template, judged by the route's own notion of success. */
function goodAnswerProblem(route: BodyRoute, stream: boolean, text: string): string | undefined {
  const json = (): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  switch (route) {
    case 'chat':
      return stream && !text.includes('data: [DONE]') ? 'stream without [DONE]' : undefined;
    case 'messages':
      if (stream) return !text.includes('event: message_stop') || text.includes('event: error') ? `stream without message_stop, or with an error: ${text.slice(-300)}` : undefined;
      return json()?.['type'] !== 'message' ? `not a message: ${text.slice(0, 300)}` : undefined;
    case 'count-messages':
      return typeof json()?.['input_tokens'] !== 'number' ? `no input_tokens: ${text.slice(0, 300)}` : undefined;
    case 'responses':
      if (stream) return !text.includes('event: response.completed') ? `stream without response.completed: ${text.slice(-300)}` : undefined;
      return json()?.['status'] !== 'completed' ? `response not completed: ${text.slice(0, 300)}` : undefined;
    default:
      return text.includes('"error"') ? 'error in a 200 answer' : undefined;
  }
}

describe('bad input on every route', () => {
  let stack: FaultStack;
  let proc: ReturnType<typeof watchProcess>;
  const ctx: CaseContext = { password: PASSWORD, limit: LIMIT };

  beforeAll(async () => {
    proc = watchProcess();
    // Both upstream routes: two Code Assist accounts and one Gemini API key.
    stack = await startFaultStack({
      accounts: ACCOUNTS.map((email) => ({ email })),
      apiKeys: ['AIzaSyFuzzKey0000000000000000000000000'],
      env: { MAX_BODY_BYTES: String(LIMIT) },
    });
  });
  afterAll(async () => {
    await stack?.close();
    proc.stop();
  });

  const serveGoodRequests = async () => {
    const failures: string[] = [];
    for (const { route, body, name } of validBodies()) {
      const r = await rawRequest(stack.rotor.url, jsonRequest(route, JSON.stringify(body), ctx), TIMEOUT_MS);
      if (!r.ok || r.status !== 200) {
        failures.push(`${name} on ${routePath(route)}: ${r.ok ? `${r.status} ${r.body.toString().slice(0, 300)}` : r.error}`);
        continue;
      }
      const problem = goodAnswerProblem(route, (body as { stream?: boolean }).stream === true, r.body.toString());
      if (problem) failures.push(`${name} on ${routePath(route)}: ${problem}`);
    }
    for (const path of ['/v1/models', '/v1beta/models', '/v1/keys/status', '/health']) {
      const r = await rawRequest(stack.rotor.url, { method: 'GET', path, headers: authHeaders(dialectOfPath(path), PASSWORD) }, TIMEOUT_MS);
      if (!r.ok || r.status !== 200) failures.push(`GET ${path}: ${r.ok ? r.status : r.error}`);
    }
    return failures;
  };

  it('serves every valid template on every route (the baseline the mutations start from)', async () => {
    expect(await serveGoodRequests()).toEqual([]);
  });

  it('answers thousands of malformed requests with a 4xx in the route dialect, never a 5xx or a hang', async () => {
    const seed = fuzzSeed();
    const rng = createRng(seed);
    const cases = [...framingCases(ctx), ...hostileCases(rng, ctx, HOSTILE), ...Array.from({ length: MUTATIONS }, (_, i) => mutationCaseFor(rng.fork(i), ctx))];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    // FUZZ_STATS=1: what each kind of case and each route was answered (case counts and statuses).
    const stats = new Map<string, Map<number | string, number>>();
    const tally = (key: string, status: number | string) => {
      const m = stats.get(key) ?? new Map<number | string, number>();
      m.set(status, (m.get(status) ?? 0) + 1);
      stats.set(key, m);
    };
    await runAll(stack.rotor.url, cases, (c, i, r) => {
      if (r.ok) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      if (process.env.FUZZ_STATS) {
        tally(`kind ${c.kind}`, r.ok ? r.status : 'no answer');
        tally(`route ${c.request.method} ${c.request.path.split('?')[0]!.replace(/\/v1beta\/models\/[^/]*/, '/v1beta/models/*').replace(/\/v1\/responses\/.+/, '/v1/responses/{id}').slice(0, 60)}`, r.ok ? r.status : 'no answer');
      }
      const problem = judge(c, r);
      if (problem) failures.push(`#${i} [${c.kind}] ${c.request.method} ${c.request.path.slice(0, 80)} (${c.note.slice(0, 160)}): ${problem}`);
    });
    if (process.env.FUZZ_STATS) {
      const lines = [...stats].sort(([a], [b]) => a.localeCompare(b)).map(([key, m]) => `${key}: ${[...m].reduce((n, [, k]) => n + k, 0)} (${[...m].map(([s, k]) => `${s}×${k}`).join(' ')})`);
      console.log(lines.join('\n'));
    }
    expect(failures.length, report(seed, cases.length, failures)).toBe(0);

    // The run really exercised both sides: plenty of rejections and of valid inputs that went through.
    const count = (pred: (s: number) => boolean) => [...statuses].filter(([s]) => pred(s)).reduce((n, [, k]) => n + k, 0);
    expect(cases.length).toBeGreaterThan(2000);
    expect(count((s) => s >= 400 && s < 500)).toBeGreaterThan(1000);
    expect(count((s) => s >= 200 && s < 300)).toBeGreaterThan(200);
    for (const s of [400, 401, 404, 413, 415]) expect(statuses.get(s) ?? 0, `status ${s} seen`).toBeGreaterThan(0);
    for (const k of [
      'type',
      'null',
      'delete',
      'unknown',
      'huge-string',
      'deep',
      'malformed',
      'utf8',
      'too-large',
      'method',
      'path',
      'schema-bomb',
      'many-media',
      'many-inputs',
      'long-input',
      'many-calls',
      'deep-results',
      'responses-ws',
      'responses-id',
      'responses-previous',
      'limits',
      'model',
      'forged',
      'tool-ids',
    ]) {
      expect(kinds.get(k) ?? 0, `cases of kind ${k}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it('continues a long chain of previous_response_ids, forks of it at once, and garbage ids in between', async () => {
    // Each stored response carries its whole conversation: the chain grows every record, bodies stay small.
    const send = (body: Record<string, unknown>) => rawRequest(stack.rotor.url, jsonRequest('responses', JSON.stringify({ model: 'gemini-2.5-flash', ...body }), ctx), TIMEOUT_MS);
    let previous: string | undefined;
    // Each turn must answer within the request timeout (no wall-clock assertion beyond it).
    for (let turn = 0; turn < 60; turn++) {
      const r = await send({ input: [{ role: 'user', content: `turn ${turn} ${'t'.repeat(20_000)}` }], ...(previous ? { previous_response_id: previous } : {}) });
      expect(r.ok && r.status, r.ok ? r.body.toString().slice(0, 300) : r.error).toBe(200);
      if (!r.ok) return;
      previous = (JSON.parse(r.body.toString()) as { id: string }).id;
    }
    // Eight forks of the last turn at once, and ids that are not Rotor's.
    const forks = await Promise.all(Array.from({ length: 8 }, (_, i) => send({ input: `fork ${i}`, previous_response_id: previous, store: false })));
    expect(forks.map((r) => r.ok && r.status)).toEqual(Array(8).fill(200));
    const wrong = await Promise.all([`${previous}x`, previous!.toUpperCase(), ' ', 'resp_'].map((id) => send({ input: 'x', previous_response_id: id })));
    expect(wrong.map((r) => r.ok && r.status)).toEqual([400, 400, 400, 400]);
    // The last turn is there for GET.
    const got = await rawRequest(stack.rotor.url, { method: 'GET', path: `/v1/responses/${previous}`, headers: authHeaders('openai', PASSWORD) }, TIMEOUT_MS);
    expect(got.ok && got.status).toBe(200);
  }, 120_000);

  it('still serves good requests afterwards, with no credential cooled down by client garbage', async () => {
    expect(await serveGoodRequests()).toEqual([]);
    const status = stack.rotor.pool.status();
    expect(status.summary).toEqual({ total: ACCOUNTS.length + 1, available: ACCOUNTS.length + 1, cooling_down: 0, disabled: 0 });
    for (const c of status.credentials) expect(c.models, `model cooldowns of ${c.email}`).toEqual({});
    // Both upstream routes took part.
    const routes = new Set(stack.sim.calls().map((c) => c.route).filter(Boolean));
    expect([...routes].sort()).toEqual(['code-assist', 'gemini-api']);
    expect(stack.logs.filter((l) => /unhandled error/.test(l))).toEqual([]);
    expect(proc.problems).toEqual([]);
  });
});
