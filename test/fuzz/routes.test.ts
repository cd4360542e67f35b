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
import { mutationCaseFor } from './mutations.js';
import { framingCases } from './framing.js';
import { hostileCases } from './hostile.js';
import { judge } from './oracle.js';
import { createRng, fuzzSeed } from './prng.js';
import { rawRequest, type RawResult } from './raw-http.js';

const LIMIT = 64 * 1024;
const MUTATIONS = 2000;
const HOSTILE = 40;
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
      if (!r.ok || r.status !== 200) failures.push(`${name} on ${routePath(route)}: ${r.ok ? `${r.status} ${r.body.toString().slice(0, 300)}` : r.error}`);
      else if (route === 'chat' && (body as { stream?: boolean }).stream && !r.body.toString().includes('data: [DONE]')) failures.push(`${name}: stream without [DONE]`);
      else if (route !== 'chat' && r.body.toString().includes('"error"')) failures.push(`${name} on ${routePath(route)}: error in a 200 answer`);
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
    await runAll(stack.rotor.url, cases, (c, i, r) => {
      if (r.ok) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      const problem = judge(c, r);
      if (problem) failures.push(`#${i} [${c.kind}] ${c.request.method} ${c.request.path.slice(0, 80)} (${c.note.slice(0, 160)}): ${problem}`);
    });
    expect(failures.length, report(seed, cases.length, failures)).toBe(0);

    // The run really exercised both sides: plenty of rejections and of valid inputs that went through.
    const count = (pred: (s: number) => boolean) => [...statuses].filter(([s]) => pred(s)).reduce((n, [, k]) => n + k, 0);
    expect(cases.length).toBeGreaterThan(2000);
    expect(count((s) => s >= 400 && s < 500)).toBeGreaterThan(1000);
    expect(count((s) => s >= 200 && s < 300)).toBeGreaterThan(200);
    for (const s of [400, 401, 404, 413, 415]) expect(statuses.get(s) ?? 0, `status ${s} seen`).toBeGreaterThan(0);
    for (const k of ['type', 'null', 'delete', 'unknown', 'huge-string', 'deep', 'malformed', 'utf8', 'too-large', 'method', 'path', 'schema-bomb', 'many-media', 'many-inputs', 'long-input']) {
      expect(kinds.get(k) ?? 0, `cases of kind ${k}`).toBeGreaterThan(0);
    }
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
