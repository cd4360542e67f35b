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

const BODY_ROUTES: BodyRoute[] = ['chat', 'generate', 'stream', 'stream-sse', 'count'];
const GET_ROUTES = ['/v1/models', '/v1/models/gemini-2.5-flash', '/v1beta/models', '/v1beta/models/gemini-2.5-pro', '/v1/keys/status', '/health'];
// (`/` is the dashboard now.)
const UNKNOWN_ROUTES = ['/v1/nope', '/v1beta/nope', '/nope', '/index.html', '/v2/chat/completions', '/v1/chat/completions/extra', '/v1beta/models/gemini-2.5-flash:generateContent/x'];

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
