/**
 * Hostile shapes: requests small on the wire whose cost would have no bound — tool schemas that expand a
 * thousandfold, hundreds of media URLs, thousands of embedding inputs, an input past the model's tokens.
 * Each must be refused with a 400 naming the limit, and none may reach Google. (A fan-out bomb stops expanding
 * at 2,000 references, so its description must make its ~1,000 leaf copies exceed SCHEMA_MAX_OUTPUT_BYTES.)
 */
import type { Rng } from './prng.js';
import { authHeaders, FAIL, type CaseContext, type FuzzCase } from './cases.js';
import { enumBomb, fanOutBomb } from '../translate/schema-bombs.js';

const chatPath = '/v1/chat/completions';

function post(path: string, body: unknown, ctx: CaseContext) {
  return { method: 'POST', path, headers: { 'content-type': 'application/json', ...authHeaders('openai', ctx.password) }, body: JSON.stringify(body) };
}

function schemaBomb(rng: Rng, ctx: CaseContext): FuzzCase {
  const fanOut = rng.int(2) === 0;
  const parameters = fanOut ? fanOutBomb(16 + rng.int(8), 'd'.repeat(6000 + rng.int(4000))) : enumBomb(400 + rng.int(300), 800 + rng.int(400));
  const name = `tool_${rng.int(1000)}`;
  const body = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name, parameters } }] };
  return { kind: 'schema-bomb', note: `${fanOut ? 'fan-out' : 'enum'} bomb in ${name}`, dialect: 'openai', request: post(chatPath, body, ctx), expect: FAIL(new RegExp(`${name}.*SCHEMA_MAX_`), [400]) };
}

function manyMedia(rng: Rng, ctx: CaseContext): FuzzCase {
  const n = 17 + rng.int(300);
  // Unroutable private addresses: had a download started, it would have been refused for another reason.
  const parts = Array.from({ length: n }, (_, i) => ({ type: 'image_url', image_url: { url: `http://10.${rng.int(255)}.${rng.int(255)}.1/i${i}.png` } }));
  const body = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...parts] }] };
  return { kind: 'many-media', note: `${n} media URLs`, dialect: 'openai', request: post(chatPath, body, ctx), expect: FAIL(/MEDIA_MAX_URLS/, [400]) };
}

function manyInputs(rng: Rng, ctx: CaseContext): FuzzCase {
  const n = 2049 + rng.int(2000);
  const body = { model: 'gemini-embedding-001', input: Array.from({ length: n }, (_, i) => `t${i}`) };
  return { kind: 'many-inputs', note: `${n} embedding inputs`, dialect: 'openai', request: post('/v1/embeddings', body, ctx), expect: FAIL(/2048/, [400]) };
}

function longInput(rng: Rng, ctx: CaseContext): FuzzCase {
  const size = 7000 + rng.int(20_000);
  const body = { model: 'gemini-embedding-001', input: ['short', 'w'.repeat(size)] };
  return { kind: 'long-input', note: `an embedding input of ${size} characters`, dialect: 'openai', request: post('/v1/embeddings', body, ctx), expect: FAIL(/input\[1\]|token/, [400]) };
}

const MAKERS = [schemaBomb, manyMedia, manyInputs, longInput];

export function hostileCases(rng: Rng, ctx: CaseContext, count: number): FuzzCase[] {
  return Array.from({ length: count }, (_, i) => MAKERS[i % MAKERS.length]!(rng.fork(10_000 + i), ctx));
}
