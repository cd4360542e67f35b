/**
 * The hot POST routes are served by a lean node:http path; the same route spelled in capitals (`/V1/…`) goes
 * through express. One request must get one answer whichever serves it: same status, same body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type RawRequest } from '../fuzz/raw-http.js';
import { startStack, type Stack } from './harness.js';

const upper = (path: string) => path.replace(/^\/v1beta\//, '/V1BETA/').replace(/^\/v1\//, '/V1/');

describe('lean path and express agree', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'parity@example.com' }] });
  });
  afterAll(() => stack.close());

  const bearer = () => ({ authorization: `Bearer ${stack.password!}` });
  const cases: Array<[string, () => RawRequest]> = [
    ['charset=utf8 is UTF-8', () => ({ method: 'POST', path: '/v1/chat/completions', headers: { ...bearer(), 'content-type': 'application/json; charset=utf8' }, body: '{"model":1}' })],
    ['a POST with no body at all', () => ({ method: 'POST', path: '/v1/chat/completions', headers: bearer() })],
    ['?key= given twice, the right one first', () => ({ method: 'POST', path: `/v1beta/models/gemini-2.5-flash:generateContent?key=${stack.password!}&key=wrong`, headers: { 'content-type': 'application/json' }, body: '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}' })],
    ['?key= given twice, a wrong one first', () => ({ method: 'POST', path: `/v1beta/models/gemini-2.5-flash:generateContent?key=wrong&key=${stack.password!}`, headers: { 'content-type': 'application/json' }, body: '{"contents":[]}' })],
    ['?alt=sse given twice', () => ({ method: 'POST', path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&alt=sse', headers: { 'x-goog-api-key': stack.password!, 'content-type': 'application/json' }, body: '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}' })],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const req = make();
    const lean = await rawRequest(stack.rotor.url, req, 10_000);
    const full = await rawRequest(stack.rotor.url, { ...req, path: upper(req.path) }, 10_000);
    if (!lean.ok || !full.ok) throw new Error(`no answer: ${JSON.stringify([lean, full])}`);
    // Ids and timestamps differ between two answers; the shape and the words may not.
    const normalise = (b: Buffer) => b.toString().replace(/"(responseId|id|createTime)":"[^"]*"/g, '"$1":"…"').replace(/"created":\d+/g, '"created":0');
    expect([full.status, normalise(full.body)]).toEqual([lean.status, normalise(lean.body)]);
    expect(String(full.headers['content-type'])).toBe(String(lean.headers['content-type']));
  });
});
