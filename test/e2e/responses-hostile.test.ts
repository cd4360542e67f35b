/**
 * The Responses routes against a hostile client and a flaky network, end to end at the default body limit
 * (20 MB): what one request may store and load, who may read a stored response (one tenant; ids unguessable),
 * a client that leaves mid-stream, and requests whose conversion used to overflow the stack.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';
const DEFAULT_RESPONSES_MAX_STORED_BYTES = 16777216;

async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('the Responses routes against a hostile client', () => {
  let stack: Stack;
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${stack.rotor.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.password}`, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
  };
  const get = (id: string) => fetch(`${stack.rotor.url}/v1/responses/${id}`, { headers: { authorization: `Bearer ${stack.password}` } });

  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'h1@example.com' }, { email: 'h2@example.com' }], sim: { streamEvents: 20, streamIntervalMs: 100 } });
  });
  afterAll(() => stack.close());

  it('keeps no conversation over RESPONSES_MAX_STORED_BYTES: a follow-up is a 400 that says so, the response is still there', async () => {
    // Each record holds the whole conversation: two turns of 9 MB each make the second record ~18 MB.
    const big = (tag: string) => [
      { role: 'user', content: `${tag} ${'w'.repeat(9 * 1024 * 1024)}` },
      { role: 'assistant', content: 'noted' },
      { role: 'user', content: `turn ${tag}` },
    ];
    const first = await post({ model: 'gemini-2.5-flash', input: big('one') });
    expect(first.status).toBe(200);
    const second = await post({ model: 'gemini-2.5-flash', input: big('two'), previous_response_id: first.json.id });
    expect(second.status).toBe(200);
    expect(second.json.output[0].content[0].text).toBe('Echo from gemini-2.5-flash: turn two');

    const third = await post({ model: 'gemini-2.5-flash', input: 'and now?', previous_response_id: second.json.id });
    expect(third.status).toBe(400);
    expect(third.json.error).toMatchObject({ param: 'previous_response_id', code: 'previous_response_too_large' });
    expect(third.json.error.message).toMatch(new RegExp(`over the ${DEFAULT_RESPONSES_MAX_STORED_BYTES} bytes.*RESPONSES_MAX_STORED_BYTES`));
    // The answer the client already has stays readable; the first, small enough, still continues.
    expect((await get(second.json.id)).status).toBe(200);
    expect((await post({ model: 'gemini-2.5-flash', input: 'again', previous_response_id: first.json.id })).status).toBe(200);
    expect(stack.rotor.pool.status().summary.available).toBe(2);
  }, 60_000);

  it('gives response ids no one can guess or steer, and serves them to any caller with the password (one tenant)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post({ model: 'gemini-2.5-flash', input: `hello ${i}` }, { 'x-request-id': 'resp_chosen_by_client' });
      expect(res.headers.get('x-request-id')).toBe('resp_chosen_by_client');
      ids.push(res.json.id as string);
    }
    for (const id of ids) expect(id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Not a counter: consecutive ids share no long prefix.
    expect(ids[0]!.slice(0, 12)).not.toBe(ids[1]!.slice(0, 12));
    // A neighbour of a real id is nobody's.
    const last = ids.at(-1)!;
    const neighbour = last.slice(0, -1) + (last.endsWith('0') ? '1' : '0');
    expect((await get(neighbour)).status).toBe(404);
    // Another client with the password (a second SDK instance) reads and continues it: Rotor promises no more.
    expect((await get(last)).status).toBe(200);
    expect((await post({ model: 'gemini-2.5-flash', input: 'go on', previous_response_id: last })).status).toBe(200);
  });

  it('aborts the upstream stream when the client leaves mid-stream, keeps no half response, and cools nothing', async () => {
    const before = stack.sim.aborted();
    const controller = new AbortController();
    const res = await fetch(`${stack.rotor.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.password}` },
      body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, input: 'a long story that goes on and on and on' }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('response.output_text.delta')) text += new TextDecoder().decode((await reader.read()).value);
    const id = /"id":"(resp_[0-9a-f]{32})"/.exec(text)![1]!;
    controller.abort();
    await waitFor(() => stack.sim.aborted() === before + 1);
    expect(stack.sim.aborted()).toBe(before + 1);
    expect((await get(id)).status).toBe(404);
    expect(stack.rotor.pool.status().summary.available).toBe(2);
    expect(stack.logs.filter((l) => /unhandled error/.test(l))).toEqual([]);
  });

  it('closes the connection after the WebSocket 426: bytes after an Upgrade request are never read, so it would hang', async () => {
    // Codex's attempt, with bytes after it (a body, or a request pipelined behind): Node stops parsing a connection
    // after an Upgrade request, so a kept-alive socket sat there until the keep-alive timeout.
    const url = new URL(stack.rotor.url);
    const answer = await new Promise<{ text: string; closed: boolean }>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${stack.password}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 2\r\n\r\n{}GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
        );
      });
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve({ text, closed: true }));
      setTimeout(() => {
        socket.destroy();
        resolve({ text, closed: false });
      }, 3000);
    });
    expect(answer.text).toMatch(/^HTTP\/1\.1 426 /);
    expect(answer.text).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer.closed).toBe(true);
  });

  it('serves an input of 200,000 parts (the conversion overflowed the stack: a 500)', async () => {
    const parts = Array.from({ length: 200_000 }, () => ({ type: 'input_text', text: 'a' }));
    const res = await post({ model: 'gemini-2.5-flash', store: false, input: [{ role: 'user', content: 'x' }, { role: 'user', content: parts }] });
    expect(res.status).toBe(200);
    expect(stack.logs.filter((l) => /unhandled error/.test(l))).toEqual([]);
  }, 30_000);
});
