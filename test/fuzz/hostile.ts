/**
 * Hostile shapes: requests small on the wire whose cost would have no bound — tool schemas that expand a
 * thousandfold, hundreds of media URLs, thousands of embedding inputs, an input past the model's tokens.
 * Each must be refused with a 400 naming the limit, and none may reach Google. (A fan-out bomb stops expanding
 * at 2,000 references, so its description must make its ~1,000 leaf copies exceed SCHEMA_MAX_OUTPUT_BYTES.)
 * And shapes that are valid however odd — hundreds of tool calls answered out of order, results nested as deep
 * as the body allows — which must be served, every call answered once.
 * Every route that takes tools or media gets them: chat, Anthropic's messages and count_tokens, Responses.
 */
import type { Rng } from './prng.js';
import { authHeaders, dialectOfPath, FAIL, PASS, type CaseContext, type Expectation, type FuzzCase } from './cases.js';
import { enumBomb, fanOutBomb } from '../translate/schema-bombs.js';

const chatPath = '/v1/chat/completions';
const messagesPath = '/v1/messages';
const countPath = '/v1/messages/count_tokens';
const responsesPath = '/v1/responses';

function post(path: string, body: unknown, ctx: CaseContext) {
  return { method: 'POST', path, headers: { 'content-type': 'application/json', ...authHeaders(dialectOfPath(path), ctx.password) }, body: JSON.stringify(body) };
}

function hostile(kind: string, note: string, path: string, body: unknown, ctx: CaseContext, expect: Expectation): FuzzCase {
  return { kind, note: `${path} ${note}`, dialect: dialectOfPath(path), request: post(path, body, ctx), expect };
}

/** A tool schema that expands past the schema budget, with the tool's name. */
function bomb(rng: Rng): { name: string; schema: Record<string, unknown>; what: string } {
  const fanOut = rng.int(2) === 0;
  const schema = fanOut ? fanOutBomb(16 + rng.int(8), 'd'.repeat(6000 + rng.int(4000))) : enumBomb(400 + rng.int(300), 800 + rng.int(400));
  return { name: `tool_${rng.int(1000)}`, schema, what: fanOut ? 'fan-out' : 'enum' };
}

function schemaBomb(rng: Rng, ctx: CaseContext): FuzzCase {
  const { name, schema: parameters, what } = bomb(rng);
  const body = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name, parameters } }] };
  return hostile('schema-bomb', `${what} bomb in ${name}`, chatPath, body, ctx, FAIL(new RegExp(`${name}.*SCHEMA_MAX_`), [400]));
}

/** The same bombs in Anthropic's input_schema (generation and count_tokens) and a Responses function's parameters. */
function dialectSchemaBomb(rng: Rng, ctx: CaseContext): FuzzCase {
  const { name, schema, what } = bomb(rng);
  const expect = FAIL(new RegExp(`${name}.*SCHEMA_MAX_`), [400]);
  const other = { name: 'fine', input_schema: { type: 'object', properties: { a: { type: 'string' } } } };
  switch (rng.int(3)) {
    case 0:
      return hostile('schema-bomb', `${what} bomb in ${name}`, messagesPath, { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], tools: [other, { name, input_schema: schema }] }, ctx, expect);
    case 1:
      return hostile('schema-bomb', `${what} bomb in ${name}`, countPath, { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }], tools: [{ name, input_schema: schema }] }, ctx, expect);
    default:
      return hostile('schema-bomb', `${what} bomb in ${name}`, responsesPath, { model: 'gemini-2.5-flash', input: 'hi', store: false, tools: [{ type: 'custom', name: 'patch' }, { type: 'function', name, parameters: schema }] }, ctx, expect);
  }
}

/** Unroutable private addresses: had a download started, it would have been refused for another reason. */
const privateUrl = (rng: Rng, i: number) => `http://10.${rng.int(255)}.${rng.int(255)}.1/i${i}.png`;

function manyMedia(rng: Rng, ctx: CaseContext): FuzzCase {
  const n = 17 + rng.int(300);
  const parts = Array.from({ length: n }, (_, i) => ({ type: 'image_url', image_url: { url: privateUrl(rng, i) } }));
  const body = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...parts] }] };
  return hostile('many-media', `${n} media URLs`, chatPath, body, ctx, FAIL(/MEDIA_MAX_URLS/, [400]));
}

/** Hundreds of image (and document) URLs in Anthropic blocks and tool results, and in Responses items. */
function dialectManyMedia(rng: Rng, ctx: CaseContext): FuzzCase {
  const n = 17 + rng.int(300);
  const expect = FAIL(/MEDIA_MAX_URLS/, [400]);
  switch (rng.int(4)) {
    case 0: {
      const blocks = Array.from({ length: n }, (_, i) => (i % 3 === 2 ? { type: 'document', source: { type: 'url', url: privateUrl(rng, i) } } : { type: 'image', source: { type: 'url', url: privateUrl(rng, i) } }));
      return hostile('many-media', `${n} image/document URLs`, messagesPath, { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...blocks] }] }, ctx, expect);
    }
    case 1: {
      const images = Array.from({ length: n }, (_, i) => ({ type: 'image', source: { type: 'url', url: privateUrl(rng, i) } }));
      const messages = [
        { role: 'user', content: 'shoot' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shot', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: images }] },
      ];
      const path = rng.chance(0.5) ? messagesPath : countPath;
      return hostile('many-media', `${n} image URLs in a tool_result`, path, { model: 'claude-sonnet-4-5', max_tokens: 10, tools: [{ name: 'shot', input_schema: { type: 'object' } }], messages }, ctx, expect);
    }
    case 2: {
      const parts = Array.from({ length: n }, (_, i) => (i % 2 ? { type: 'input_image', image_url: privateUrl(rng, i) } : { type: 'input_file', file_url: privateUrl(rng, i) }));
      return hostile('many-media', `${n} image/file URLs`, responsesPath, { model: 'gemini-2.5-flash', store: false, input: [{ role: 'user', content: [{ type: 'input_text', text: 'look' }, ...parts] }] }, ctx, expect);
    }
    default: {
      const output = Array.from({ length: n }, (_, i) => ({ type: 'input_image', image_url: privateUrl(rng, i) }));
      const input = [{ role: 'user', content: 'shoot' }, { type: 'function_call', call_id: 'c1', name: 'shot', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output }];
      return hostile('many-media', `${n} image URLs in a function_call_output`, responsesPath, { model: 'gemini-2.5-flash', store: false, tools: [{ type: 'function', name: 'shot' }], input }, ctx, expect);
    }
  }
}

/**
 * Hundreds of tool calls in one assistant turn, answered in a random order with some results missing and some
 * for ids nobody called: valid (Rotor answers every call exactly once), so served.
 */
function manyToolCalls(rng: Rng, ctx: CaseContext): FuzzCase {
  const n = 100 + rng.int(300);
  const order = Array.from({ length: n }, (_, i) => i).sort(() => rng.next() - 0.5);
  const answered = order.filter(() => !rng.chance(0.1));
  const strays = rng.int(5);
  if (rng.chance(0.5)) {
    const calls = Array.from({ length: n }, (_, i) => ({ type: 'tool_use', id: `t${i}`, name: 'f', input: { i } }));
    const results: unknown[] = answered.map((i) => ({ type: 'tool_result', tool_use_id: `t${i}`, content: 'ok' }));
    for (let k = 0; k < strays; k++) results.push({ type: 'tool_result', tool_use_id: `nobody${k}`, content: 'stray', is_error: true });
    const messages = [{ role: 'user', content: 'go' }, { role: 'assistant', content: calls }, { role: 'user', content: results }];
    const path = rng.chance(0.7) ? messagesPath : countPath;
    return hostile('many-calls', `${n} tool_use blocks, ${answered.length} results, ${strays} strays`, path, { model: 'gemini-3-pro-preview', max_tokens: 10, tools: [{ name: 'f', input_schema: { type: 'object' } }], messages }, ctx, PASS());
  }
  const input: unknown[] = [{ role: 'user', content: 'go' }];
  for (let i = 0; i < n; i++) input.push({ type: 'function_call', call_id: `c${i}`, name: 'f', arguments: `{"i":${i}}` });
  for (const i of answered) input.push({ type: 'function_call_output', call_id: `c${i}`, output: 'ok' });
  return hostile('many-calls', `${n} function calls, ${answered.length} outputs`, responsesPath, { model: 'gemini-3-pro-preview', store: false, tools: [{ type: 'function', name: 'f' }], input }, ctx, PASS());
}

/** The deepest nesting of a JSON text (as the body reader counts it). */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

const MAX_JSON_DEPTH = 100;

/**
 * Tool results nested in tool results (Anthropic: the inner ones are of no type a tool_result holds, so ignored),
 * documents in results, a Responses output object nested deep: served up to the body's depth limit, refused past
 * it by the body reader, never a stack overflow.
 */
function deepResults(rng: Rng, ctx: CaseContext): FuzzCase {
  const levels = 5 + rng.int(60);
  let body: unknown;
  let path: string;
  if (rng.chance(0.6)) {
    let inner: unknown = { type: 'text', text: 'bottom' };
    for (let i = 0; i < levels; i++) inner = { type: 'tool_result', tool_use_id: `toolu_${i}`, content: [inner, { type: 'document', source: { type: 'content', content: [{ type: 'text', text: `level ${i}` }] } }] };
    const messages = [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_top', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_top', content: [inner] }] },
    ];
    path = rng.chance(0.7) ? messagesPath : countPath;
    body = { model: 'claude-sonnet-4-5', max_tokens: 10, tools: [{ name: 'f', input_schema: { type: 'object' } }], messages };
  } else {
    let output: unknown = { value: 'bottom' };
    for (let i = 0; i < levels; i++) output = { [`level${i}`]: output };
    path = responsesPath;
    body = { model: 'gemini-2.5-flash', store: false, tools: [{ type: 'function', name: 'f' }], input: [{ role: 'user', content: 'go' }, { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }, { type: 'function_call_output', call_id: 'c', output }] };
  }
  const depth = nesting(JSON.stringify(body));
  const expect = depth <= MAX_JSON_DEPTH ? PASS() : FAIL(/nested too deeply|content|output|messages|input/, [400]);
  return hostile('deep-results', `${levels} levels of results (JSON depth ${depth})`, path, body, ctx, expect);
}

function manyInputs(rng: Rng, ctx: CaseContext): FuzzCase {
  const n = 2049 + rng.int(2000);
  const body = { model: 'gemini-embedding-001', input: Array.from({ length: n }, (_, i) => `t${i}`) };
  return hostile('many-inputs', `${n} embedding inputs`, '/v1/embeddings', body, ctx, FAIL(/2048/, [400]));
}

function longInput(rng: Rng, ctx: CaseContext): FuzzCase {
  const size = 7000 + rng.int(20_000);
  const body = { model: 'gemini-embedding-001', input: ['short', 'w'.repeat(size)] };
  return hostile('long-input', `an embedding input of ${size} characters`, '/v1/embeddings', body, ctx, FAIL(/input\[1\]|token/, [400]));
}

const MAKERS = [schemaBomb, manyMedia, manyInputs, longInput, dialectSchemaBomb, dialectManyMedia, manyToolCalls, deepResults];

export function hostileCases(rng: Rng, ctx: CaseContext, count: number): FuzzCase[] {
  return Array.from({ length: count }, (_, i) => MAKERS[i % MAKERS.length]!(rng.fork(10_000 + i), ctx));
}
