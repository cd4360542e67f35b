/**
 * The fixed catalogue: every route × content types, content encodings, empty / primitive / oversized bodies,
 * unusual methods, odd paths and auth. Deterministic; the mutation cases (cases.ts) add the randomness.
 */
import { gzipSync } from 'node:zlib';
import {
  ALL,
  authHeaders,
  COMPRESSORS,
  dialectOfPath,
  FAIL,
  jsonRequest,
  NOT_OBJECT,
  PASS,
  routePath,
  validBodies,
  type CaseContext,
  type Expectation,
  type FuzzCase,
} from './cases.js';
import type { BodyRoute } from './bodies.js';

const BODY_ROUTES: BodyRoute[] = ['chat', 'generate', 'stream', 'stream-sse', 'count', 'messages', 'count-messages', 'responses'];
const GET_ROUTES = ['/v1/models', '/v1/models/gemini-2.5-flash', '/v1beta/models', '/v1beta/models/gemini-2.5-pro', '/v1/keys/status', '/health'];
// (`/` is the dashboard now.)
const UNKNOWN_ROUTES = [
  '/v1/nope',
  '/v1beta/nope',
  '/nope',
  '/index.html',
  '/v2/chat/completions',
  '/v1/chat/completions/extra',
  '/v1beta/models/gemini-2.5-flash:generateContent/x',
  // Everything under /v1/messages answers in Anthropic's shape, known route or not.
  '/v1/messages/nope',
  '/v1/messages/count_tokens/x',
  '/v1/messages/batches',
  '/v1/responses/resp_1/input_items/x',
];

const MAX_BODY = /MAX_BODY_BYTES/;
const NO_ROUTE = /no route|unknown method|not served/;

function goodBody(route: BodyRoute): string {
  return JSON.stringify(validBodies().find((b) => b.route === route)!.body);
}

function fixed(kind: string, note: string, request: FuzzCase['request'], expect: Expectation): FuzzCase {
  return { kind, note, dialect: dialectOfPath(request.path), request, expect };
}

export function framingCases(ctx: CaseContext): FuzzCase[] {
  const out: FuzzCase[] = [];
  const big = (n: number) => JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x'.repeat(n) }], contents: [] });

  for (const route of BODY_ROUTES) {
    const path = routePath(route);
    const auth = authHeaders(dialectOfPath(path), ctx.password);
    const good = goodBody(route);
    // Content types: only JSON is read as JSON (a cross-site form or a text/plain fetch must not reach the API).
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/JSON; charset=UTF-8', 'application/json;charset="utf-8"']) {
      out.push(fixed('content-type', `${route} ${type}`, { method: 'POST', path, headers: { ...auth, 'content-type': type }, body: good }, PASS()));
    }
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '@@@', 'text/json', 'application/jsonx']) {
      out.push(fixed('content-type', `${route} ${type ?? '(none)'}`, { method: 'POST', path, headers: { ...auth, 'content-type': type }, body: good }, FAIL(/Content-Type/, [415])));
    }
    for (const charset of ['latin1', 'iso-8859-1', 'windows-1252', 'bogus-xyz', 'utf-bogus']) {
      out.push(fixed('charset', `${route} ${charset}`, jsonRequest(route, good, ctx, { 'content-type': `application/json; charset=${charset}` }), FAIL(/charset/i, [415])));
    }
    out.push(fixed('charset', `${route} utf-16 label on utf-8 bytes`, jsonRequest(route, good, ctx, { 'content-type': 'application/json; charset=utf-16le' }), FAIL(/JSON/, [400])));
    out.push(fixed('form', `${route} form body`, { method: 'POST', path, headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'model=gemini&messages=hi' }, FAIL(/Content-Type/, [415])));
    out.push(fixed('form', `${route} form body labelled JSON`, jsonRequest(route, 'model=gemini&messages=hi', ctx), FAIL(/JSON/, [400])));
    // Content encodings.
    for (const [name, compress] of Object.entries(COMPRESSORS)) {
      out.push(fixed('encoding', `${route} ${name}`, jsonRequest(route, compress(Buffer.from(good)), ctx, { 'content-encoding': name }), PASS()));
      out.push(fixed('encoding', `${route} ${name} corrupt`, jsonRequest(route, Buffer.from('definitely not compressed'), ctx, { 'content-encoding': name }), FAIL(/decompress|Content-Encoding/i, [400])));
    }
    for (const name of ['compress', 'zstd', 'gzip, br', 'x-custom']) {
      out.push(fixed('encoding', `${route} ${name}`, jsonRequest(route, good, ctx, { 'content-encoding': name }), FAIL(/encoding/i, [415])));
    }
    const bomb = gzipSync(Buffer.from(big(ctx.limit * 4)));
    out.push(fixed('too-large', `${route} gzip bomb (${bomb.length} bytes inflating past the limit)`, jsonRequest(route, bomb, ctx, { 'content-encoding': 'gzip' }), FAIL(MAX_BODY, [413])));
    // Empty and primitive bodies.
    out.push(fixed('empty', `${route} content-length 0`, jsonRequest(route, '', ctx), FAIL(undefined, [400])));
    out.push(fixed('empty', `${route} no body`, { method: 'POST', path, headers: auth }, FAIL(undefined, [400])));
    out.push(fixed('empty', `${route} whitespace`, jsonRequest(route, ' \n\t ', ctx), FAIL(/JSON/, [400])));
    out.push(fixed('empty', `${route} chunked, no bytes`, { ...jsonRequest(route, '', ctx), chunks: 1 }, FAIL(undefined, [400])));
    for (const primitive of ['null', '0', '-1.5', '"text"', 'true', '[]', '[{}]', '[' + good + ']']) {
      out.push(fixed('primitive', `${route} ${primitive.slice(0, 20)}`, jsonRequest(route, primitive, ctx), FAIL(NOT_OBJECT, [400])));
    }
    out.push(fixed('bom', `${route} UTF-8 BOM`, jsonRequest(route, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good)]), ctx), PASS()));
    // Over the limit: declared length, chunked, and a valid-looking JSON that is just too big.
    for (const size of [ctx.limit + 1, ctx.limit * 2, ctx.limit * 8]) {
      out.push(fixed('too-large', `${route} ${size} bytes`, jsonRequest(route, big(size), ctx), FAIL(MAX_BODY, [413])));
      out.push(fixed('too-large', `${route} ${size} bytes chunked`, { ...jsonRequest(route, big(size), ctx), chunks: 7 }, FAIL(MAX_BODY, [413])));
    }
    out.push(fixed('too-large', `${route} garbage over the limit`, jsonRequest(route, Buffer.alloc(ctx.limit + 100, 0xfe), ctx), FAIL(MAX_BODY, [413])));
    // Methods other than POST on a POST route.
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'PURGE']) {
      out.push(fixed('method', `${method} ${route}`, { method, path, headers: auth }, FAIL(NO_ROUTE, [404, 405])));
    }
    out.push(fixed('method', `HEAD ${route}`, { method: 'HEAD', path, headers: auth }, { ...FAIL(undefined, [404, 405]), noBody: true }));
    out.push(fixed('method', `OPTIONS ${route}`, { method: 'OPTIONS', path, headers: auth }, ALL()));
    out.push(fixed('method', `PUT ${route} with malformed JSON`, { method: 'PUT', path, headers: { ...auth, 'content-type': 'application/json' }, body: '{"a":' }, FAIL(/JSON|no route/, [400, 404, 405])));
    // Auth.
    const dialect = dialectOfPath(path);
    out.push(fixed('auth', `${route} no credentials`, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: good }, FAIL(/GEMINI_AUTH_PASSWORD|credentials/, [401])));
    for (const header of ['Bearer', 'Bearer ', `Bearer ${ctx.password}x`, 'Basic dXNlcjpwYXNz', `bearer   ${'A'.repeat(4000)}`, `Token ${ctx.password}`]) {
      out.push(fixed('auth', `${route} authorization: ${header.slice(0, 24)}`, { method: 'POST', path, headers: { authorization: header, 'content-type': 'application/json' }, body: good }, FAIL(/API key|credentials/, [401])));
    }
    if (dialect === 'anthropic') {
      // The Anthropic SDKs send x-api-key; Claude Code's ANTHROPIC_AUTH_TOKEN a Bearer token. When both come, the
      // Bearer token is the credential (as on /v1beta, where it wins over x-goog-api-key).
      const bare = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
      for (const key of ['', 'wrong', `${ctx.password}x`, `Bearer ${ctx.password}`, 'A'.repeat(4000)]) {
        out.push(fixed('auth', `${route} x-api-key: ${key.slice(0, 24)}`, { method: 'POST', path, headers: { ...bare, 'x-api-key': key }, body: good }, FAIL(key === '' ? /credentials/ : /API key/, [401])));
      }
      out.push(fixed('auth', `${route} Bearer alone`, { method: 'POST', path, headers: { ...bare, authorization: `Bearer ${ctx.password}` }, body: good }, PASS()));
      out.push(fixed('auth', `${route} right Bearer, wrong x-api-key`, { method: 'POST', path, headers: { ...bare, authorization: `Bearer ${ctx.password}`, 'x-api-key': 'sk-ant-api03-somebody-else' }, body: good }, PASS()));
      out.push(fixed('auth', `${route} wrong Bearer, right x-api-key`, { method: 'POST', path, headers: { ...bare, authorization: 'Bearer wrong', 'x-api-key': ctx.password }, body: good }, FAIL(/API key/, [401])));
      out.push(fixed('auth', `${route} Basic auth beside the right x-api-key`, { method: 'POST', path, headers: { ...bare, authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': ctx.password }, body: good }, PASS()));
      out.push(fixed('header', `${route} any anthropic-version and anthropic-beta`, jsonRequest(route, good, ctx, { 'anthropic-version': 'bogus', 'anthropic-beta': 'nope-2099-01-01,,context-1m-2025-08-07' }), PASS()));
    }
    if (dialect === 'google') {
      out.push(fixed('auth', `${route} ?key= wrong`, { method: 'POST', path: `${path}${path.includes('?') ? '&' : '?'}key=nope`, headers: { 'content-type': 'application/json' }, body: good }, FAIL(/API key/, [401])));
      out.push(fixed('auth', `${route} ?key= twice`, { method: 'POST', path: `${path}${path.includes('?') ? '&' : '?'}key=${ctx.password}&key=${ctx.password}`, headers: { 'content-type': 'application/json' }, body: good }, ALL()));
    }
    // Bad auth with a huge body: rejected without reading it all, and without a 5xx.
    out.push(fixed('auth', `${route} no credentials, body over the limit`, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: big(ctx.limit * 2) }, FAIL(/GEMINI_AUTH_PASSWORD|credentials/, [401])));
    out.push(fixed('header', `${route} odd x-request-id`, jsonRequest(route, good, ctx, { 'x-request-id': 'r\u00e9q-' + 'i'.repeat(300) }), PASS()));
  }

  for (const path of GET_ROUTES) {
    const auth = authHeaders(dialectOfPath(path), ctx.password);
    out.push(fixed('get', `GET ${path}`, { method: 'GET', path, headers: auth }, PASS()));
    out.push(fixed('get', `HEAD ${path}`, { method: 'HEAD', path, headers: auth }, { ...PASS(), noBody: true }));
    out.push(fixed('get', `GET ${path} with a malformed body`, { method: 'GET', path, headers: { ...auth, 'content-type': 'application/json' }, body: '{"oops' }, ALL()));
    out.push(fixed('get', `GET ${path} with a body over the limit`, { method: 'GET', path, headers: { ...auth, 'content-type': 'application/json' }, body: big(ctx.limit * 2) }, { ...ALL(), statuses: [413] }));
    out.push(fixed('get', `GET ${path}?garbage`, { method: 'GET', path: `${path}?a[b]=1&%%%=&alt=sse&alt=json`, headers: auth }, PASS()));
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND']) {
      out.push(fixed('method', `${method} ${path}`, { method, path, headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }, FAIL(NO_ROUTE, [404, 405])));
    }
    out.push(fixed('method', `OPTIONS ${path}`, { method: 'OPTIONS', path, headers: auth }, ALL()));
    if (path !== '/health') {
      out.push(fixed('auth', `GET ${path} without credentials`, { method: 'GET', path }, FAIL(/GEMINI_AUTH_PASSWORD|credentials/, [401])));
      out.push(fixed('auth', `GET ${path} with a wrong key`, { method: 'GET', path, headers: { authorization: 'Bearer wrong' } }, FAIL(/API key/, [401])));
    }
  }

  // Embedding routes: no embedding-capable credential is configured here, so only their bad input is judged.
  const embeds: Array<[string, string, RegExp]> = [
    ['/v1/embeddings', '{"model":"text-embedding-3-small","input":42}', /input/],
    ['/v1beta/models/gemini-embedding-001:embedContent', '{"content":{"parts":[{"text":42}]}}', /content/],
    ['/v1beta/models/gemini-embedding-001:batchEmbedContents', '{"requests":{"content":"x"}}', /requests/],
  ];
  for (const [path, wrongType, names] of embeds) {
    const post = (body: Buffer | string, headers: Record<string, string> = {}) => ({
      method: 'POST',
      path,
      headers: { ...authHeaders(dialectOfPath(path), ctx.password), 'content-type': 'application/json', ...headers },
      body,
    });
    out.push(fixed('embed', `${path} wrong type`, post(wrongType), FAIL(names, [400])));
    out.push(fixed('embed', `${path} empty object`, post('{}'), FAIL(undefined, [400])));
    out.push(fixed('embed', `${path} malformed`, post('{"input": ['), FAIL(/JSON/, [400])));
    out.push(fixed('embed', `${path} primitive`, post('[1,2]'), FAIL(NOT_OBJECT, [400])));
    out.push(fixed('embed', `${path} invalid UTF-8`, post(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), FAIL(/UTF-8/, [400])));
    out.push(fixed('embed', `${path} deep`, post(`{"input":${'['.repeat(5000)}${']'.repeat(5000)}}`), FAIL(/nested too deeply/, [400])));
    out.push(fixed('embed', `${path} over the limit`, post(big(ctx.limit + 10)), FAIL(MAX_BODY, [413])));
  }

  out.push(...dialectCases(ctx));

  for (const path of UNKNOWN_ROUTES) {
    const auth = authHeaders(dialectOfPath(path), ctx.password);
    for (const method of ['GET', 'POST', 'DELETE']) {
      out.push(fixed('unknown-route', `${method} ${path}`, { method, path, headers: { ...auth, 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' }, FAIL(NO_ROUTE, [404, 405])));
    }
  }

  // Odd model ids and paths on the native routes, and odd ids on the model lookups.
  const odd = [
    ['%ZZ', /decode|%ZZ/],
    ['%', /decode|%/],
    ['gemini-2.5-flash%3AgenerateContent', undefined],
    ['', /unknown method|no route/],
    ['a:b', undefined],
    ['x'.repeat(3000), undefined],
    ['%E2%9C%93', undefined],
    ['..%2F..%2Fetc', undefined],
    ['%00', undefined],
    ['models%2Fgemini-2.5-flash', undefined],
  ] as const;
  for (const [model, mentions] of odd) {
    for (const method of ['generateContent', 'countTokens', 'streamGenerateContent?alt=sse']) {
      const path = `/v1beta/models/${model}:${method}`;
      const route: BodyRoute = method.startsWith('count') ? 'count' : method.startsWith('stream') ? 'stream-sse' : 'generate';
      out.push(fixed('path', `POST ${path.slice(0, 60)}`, { method: 'POST', path, headers: { ...authHeaders('google', ctx.password), 'content-type': 'application/json' }, body: goodBody(route) }, mentions ? FAIL(mentions) : ALL()));
    }
    for (const prefix of ['/v1/models/', '/v1beta/models/']) {
      // An empty id is the list itself (`/v1/models/`).
      const expect = mentions && model !== '' ? FAIL(mentions) : ALL();
      out.push(fixed('path', `GET ${prefix}${model.slice(0, 40)}`, { method: 'GET', path: `${prefix}${model}`, headers: authHeaders(dialectOfPath(prefix), ctx.password) }, expect));
    }
  }
  for (const path of ['//v1/models', '/v1/models/', '/V1/MODELS', '/V1BETA/MODELS', '/v1beta/models/gemini-2.5-flash:frobnicate', '/v1beta/models/gemini-2.5-flash:', '/v1betax/models', '/v1/models?x=%%%']) {
    const auth = { ...authHeaders('openai', ctx.password), ...authHeaders('google', ctx.password) };
    out.push(fixed('path', `GET ${path}`, { method: 'GET', path, headers: auth }, ALL()));
    out.push(fixed('path', `POST ${path}`, { method: 'POST', path, headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }, ALL()));
  }
  return out;
}

/** A JSON POST with the route's own auth. */
function post(path: string, body: unknown, ctx: CaseContext, headers: Record<string, string> = {}): FuzzCase['request'] {
  return { method: 'POST', path, headers: { 'content-type': 'application/json', ...authHeaders(dialectOfPath(path), ctx.password), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

/**
 * What the Anthropic and Responses routes add: their GET / DELETE routes and the WebSocket 426, odd stored
 * response ids, and numbers or names no model takes (a 400 naming the field, not Google's words about its own).
 */
function dialectCases(ctx: CaseContext): FuzzCase[] {
  const out: FuzzCase[] = [];
  const auth = authHeaders('openai', ctx.password);
  const NOT_FOUND = /not found/;

  // GET /v1/responses is only Codex's WebSocket attempt: 426 with any Upgrade, whatever the body; 405 without.
  out.push(fixed('responses-ws', 'GET /v1/responses without Upgrade', { method: 'GET', path: '/v1/responses', headers: auth }, FAIL(NO_ROUTE, [405])));
  for (const upgrade of ['websocket', 'WebSocket', 'h2c', 'x']) {
    out.push(fixed('responses-ws', `GET /v1/responses Upgrade: ${upgrade}`, { method: 'GET', path: '/v1/responses', headers: { ...auth, connection: 'Upgrade', upgrade, 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } }, FAIL(/WebSocket/, [426])));
  }
  const ws = { ...auth, connection: 'Upgrade', upgrade: 'websocket', 'openai-beta': 'responses_websockets=2026-02-04' };
  out.push(fixed('responses-ws', 'GET /v1/responses Upgrade with a JSON body', { method: 'GET', path: '/v1/responses', headers: { ...ws, 'content-type': 'application/json' }, body: '{"model":"x","input":"hi"}' }, FAIL(/WebSocket/, [426])));
  out.push(fixed('responses-ws', 'GET /v1/responses Upgrade with a malformed body', { method: 'GET', path: '/v1/responses', headers: { ...ws, 'content-type': 'text/plain' }, body: '{"oops' }, FAIL(/WebSocket/, [426])));
  out.push(fixed('responses-ws', 'GET /v1/responses Upgrade with a chunked body', { method: 'GET', path: '/v1/responses', headers: ws, body: 'x'.repeat(5000), chunks: 5 }, FAIL(/WebSocket/, [426])));
  out.push(fixed('responses-ws', 'GET /v1/responses Upgrade with a body over the limit', { method: 'GET', path: '/v1/responses', headers: ws, body: 'x'.repeat(ctx.limit * 2) }, FAIL(/WebSocket|MAX_BODY_BYTES/, [413, 426])));
  out.push(fixed('responses-ws', 'GET /v1/responses Upgrade without credentials', { method: 'GET', path: '/v1/responses', headers: { connection: 'Upgrade', upgrade: 'websocket' } }, FAIL(/credentials/, [401])));
  out.push(fixed('responses-ws', 'POST /v1/responses with Upgrade: websocket', post('/v1/responses', JSON.stringify({ model: 'gemini-2.5-flash', input: 'hi', store: false }), ctx, { connection: 'Upgrade', upgrade: 'websocket' }), ALL()));

  // Stored responses: unknown and odd ids are a 404 (never a 5xx), other methods a 405.
  const ids = ['resp_0123456789abcdef0123456789abcdef', 'resp_', 'x'.repeat(3000), '%00', '%ZZ', '..%2F..%2Fetc', '__proto__', 'constructor', 'resp_%E2%9C%93', "'%20OR%201=1--"];
  for (const id of ids) {
    const path = `/v1/responses/${id}`;
    // A path segment that is not valid percent-encoding is refused as such by the router.
    const expect = id === '%ZZ' ? FAIL(/decode/, [400]) : FAIL(NOT_FOUND, [404]);
    out.push(fixed('responses-id', `GET ${path.slice(0, 60)}`, { method: 'GET', path, headers: auth }, expect));
    out.push(fixed('responses-id', `DELETE ${path.slice(0, 60)}`, { method: 'DELETE', path, headers: auth }, expect));
  }
  const one = '/v1/responses/resp_0123456789abcdef0123456789abcdef';
  out.push(fixed('responses-id', `HEAD ${one}`, { method: 'HEAD', path: one, headers: auth }, { ...FAIL(undefined, [404]), noBody: true }));
  for (const method of ['POST', 'PUT', 'PATCH']) {
    out.push(fixed('responses-id', `${method} ${one}`, { method, path: one, headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }, FAIL(NO_ROUTE, [405])));
  }
  out.push(fixed('responses-id', `GET ${one} without credentials`, { method: 'GET', path: one }, FAIL(/credentials/, [401])));
  out.push(fixed('responses-id', `DELETE ${one} with a wrong key`, { method: 'DELETE', path: one, headers: { authorization: 'Bearer wrong' } }, FAIL(/API key/, [401])));

  // previous_response_id: unknown, empty, huge, odd, of the wrong type.
  const previous: Array<[unknown, RegExp]> = [
    ['resp_0123456789abcdef0123456789abcdef', /previous_response_id|not found/],
    ['', /previous_response_id/],
    ['x'.repeat(20_000), /previous_response_id/],
    ['../../etc/passwd', /previous_response_id|not found/],
    ['__proto__', /previous_response_id|not found/],
    ['\u0000\ud800', /previous_response_id|not found/],
    [42, /previous_response_id/],
    [['resp_1'], /previous_response_id/],
    [{ id: 'resp_1' }, /previous_response_id/],
  ];
  for (const [id, mentions] of previous) {
    out.push(fixed('responses-previous', `previous_response_id ${JSON.stringify(id).slice(0, 40)}`, post('/v1/responses', { model: 'gemini-2.5-flash', input: 'hi', previous_response_id: id }, ctx), FAIL(mentions, [400])));
  }

  // Numbers no model takes: a 400 that names the client's field (Google would name its own, or take them).
  for (const n of [0, -1, 1.5, 2 ** 31, 1e15, 1e300]) {
    const at = `max_tokens ${n}`;
    out.push(fixed('limits', `messages ${at}`, post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: n, messages: [{ role: 'user', content: 'hi' }] }, ctx), FAIL(/max_tokens/, [400])));
    out.push(fixed('limits', `responses max_output_tokens ${n}`, post('/v1/responses', { model: 'gemini-2.5-flash', max_output_tokens: n, input: 'hi', store: false }, ctx), FAIL(/max_output_tokens/, [400])));
  }
  for (const n of [2 ** 31, 1e15]) {
    out.push(fixed('limits', `messages top_k ${n}`, post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 10, top_k: n, messages: [{ role: 'user', content: 'hi' }] }, ctx), FAIL(/top_k/, [400])));
    out.push(fixed('limits', `messages budget_tokens ${n}`, post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 10, thinking: { type: 'enabled', budget_tokens: n }, messages: [{ role: 'user', content: 'hi' }] }, ctx), FAIL(/budget_tokens/, [400])));
  }
  // A model name no model has: 10 KB (Claude-looking or not) or control characters are refused as such; a
  // printable name with path tricks reaches Google (URL-encoded), which knows no such model.
  const models: Array<[string, Expectation]> = [
    ['claude-' + 'x'.repeat(10_000), FAIL(/model.*256/, [400])],
    ['x'.repeat(10_000), FAIL(/model.*256/, [400])],
    ['gemini-2.5-flash\r\nX-Injected: 1', FAIL(/model.*printable/, [400])],
    ['gemini 2.5 flash', FAIL(/model.*printable/, [400])],
    ['../../v1beta/files', FAIL(/model|not found/i, [404])],
    ['gemini-2.5-flash?alt=sse#', FAIL(/model|not found/i, [404])],
  ];
  for (const [model, expect] of models) {
    const name = JSON.stringify(model.slice(0, 30));
    out.push(fixed('model', `messages model ${name}`, post('/v1/messages', { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, ctx), expect));
    out.push(fixed('model', `count_tokens model ${name}`, post('/v1/messages/count_tokens', { model, messages: [{ role: 'user', content: 'hi' }] }, ctx), expect));
    out.push(fixed('model', `responses model ${name}`, post('/v1/responses', { model, input: 'hi', store: false }, ctx), expect));
  }

  // Signatures a client made up. Anthropic's thinking signature is refused by name (as Anthropic refuses one it
  // did not sign); in a Responses encrypted_content, what is not Rotor's envelope, or not base64 inside it, is
  // ignored (a conversation may come from another provider), so the call is signed as if it carried none.
  const forged = ['not base64 !', '<script>alert(1)</script>', 'QUFB\u0000QQ==', '\ud800'];
  for (const signature of forged) {
    const body = {
      model: 'gemini-3-pro-preview',
      max_tokens: 10,
      tools: [{ name: 'f', input_schema: { type: 'object', properties: { a: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
      ],
    };
    out.push(fixed('forged', `anthropic signature ${JSON.stringify(signature)}`, post('/v1/messages', body, ctx), FAIL(/messages\[1\]\.content\[0\]\.signature/, [400])));
    const envelope = 'rotor.v1.' + Buffer.from(JSON.stringify({ c: { call_1: signature } })).toString('base64url');
    const input = [
      { role: 'user', content: 'hi' },
      { type: 'reasoning', summary: [], encrypted_content: envelope },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
    ];
    out.push(fixed('forged', `responses encrypted signature ${JSON.stringify(signature)}`, post('/v1/responses', { model: 'gemini-3-pro-preview', input, store: false, tools: [{ type: 'function', name: 'f' }] }, ctx), PASS()));
  }
  const envelopes = ['rotor.v1.', 'rotor.v1.!!!', 'rotor.v1.' + Buffer.from('[1,2]').toString('base64url'), 'rotor.v1.' + Buffer.from('{"c":{"call_1":42,"__proto__":"c2ln"},"t":{}}').toString('base64url')];
  for (const encrypted of envelopes) {
    const input = [{ role: 'user', content: 'hi' }, { type: 'reasoning', summary: [], encrypted_content: encrypted }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'again' }];
    out.push(fixed('forged', `responses encrypted_content ${encrypted.slice(0, 40)}`, post('/v1/responses', { model: 'gemini-3-pro-preview', input, store: false }, ctx), PASS()));
  }
  // Someone else's encrypted_content (OpenAI's, from a conversation that switched providers) is ignored.
  out.push(fixed('forged', 'responses foreign encrypted_content', post('/v1/responses', { model: 'gemini-2.5-flash', store: false, input: [{ role: 'user', content: 'hi' }, { type: 'reasoning', summary: [], encrypted_content: 'gAAAAABo' + 'x'.repeat(500) }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'again' }] }, ctx), PASS()));

  // Odd tool_use ids and tool results for ids nobody called: served (the result becomes text).
  for (const id of ['toolu_é\u0000"\\\n', '', 'x'.repeat(5000), '__proto__', 'constructor']) {
    const body = {
      model: 'gemini-2.5-flash',
      max_tokens: 10,
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id, name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }, { type: 'tool_result', tool_use_id: `${id}-unknown`, content: 'stray' }] },
      ],
    };
    out.push(fixed('tool-ids', `anthropic tool_use id ${JSON.stringify(id.slice(0, 20))}`, post('/v1/messages', body, ctx), PASS()));
    const input = [
      { role: 'user', content: 'hi' },
      { type: 'function_call', call_id: id, name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: id, output: 'ok' },
    ];
    out.push(fixed('tool-ids', `responses call_id ${JSON.stringify(id.slice(0, 20))}`, post('/v1/responses', { model: 'gemini-2.5-flash', input, store: false, tools: [{ type: 'function', name: 'f' }] }, ctx), PASS()));
  }
  // A function_call_output for a call the input never made: a 400 naming its call_id (Gemini could not pair it).
  out.push(
    fixed('tool-ids', 'responses output for an unknown call', post('/v1/responses', { model: 'gemini-2.5-flash', store: false, input: [{ role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'nobody', output: 'x' }] }, ctx), FAIL(/call_id/, [400])),
  );
  return out;
}
