import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { ClientSignal } from '../../src/util/call-signal.js';
import { createTransport, upstreamBase } from '../../src/upstream/transport.js';
import { ClientAbortError } from '../../src/upstream/types.js';

describe('ClientSignal', () => {
  it('runs each listener once, on the first abort, and not after removal', () => {
    const signal = new ClientSignal();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.removeEventListener('abort', a);
    expect(signal.aborted).toBe(false);
    signal.abort();
    signal.abort();
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(['b']);
    signal.addEventListener('abort', a); // like a DOM AbortSignal: a late listener never runs
    signal.abort();
    expect(calls).toEqual(['b']);
  });
});

describe('upstreamBase', () => {
  it('splits a base URL into origin and path prefix once', () => {
    expect(upstreamBase('https://cloudcode-pa.googleapis.com')).toEqual({ origin: 'https://cloudcode-pa.googleapis.com', prefix: '' });
    expect(upstreamBase('http://127.0.0.1:8080/proxy/')).toEqual({ origin: 'http://127.0.0.1:8080', prefix: '/proxy' });
  });
});

describe('the transport with a ClientSignal', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('cancels the upstream request when the client goes away before the headers', async () => {
    let closedUpstream!: () => void;
    const upstreamClosed = new Promise<void>((resolve) => (closedUpstream = resolve));
    let seen = '';
    let arrived!: () => void;
    const upstreamArrived = new Promise<void>((resolve) => (arrived = resolve));
    server = createServer((req, res) => {
      seen = req.url ?? '';
      req.resume();
      arrived();
      res.on('close', closedUpstream); // never answers: only the abort can end this request
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new Agent();
    const signal = new ClientSignal();
    const transport = createTransport({ timeoutMs: 30_000, defaultRateCooldownMs: 1000, dispatcher: agent });
    const call = transport.send(upstreamBase(`http://127.0.0.1:${port}/base`), { path: '/v1internal:generateContent', headers: {}, body: { a: 1 }, signal });
    await upstreamArrived; // the client leaves while Google is still thinking
    signal.abort();
    await expect(call).rejects.toBeInstanceOf(ClientAbortError);
    await upstreamClosed;
    expect(seen).toBe('/base/v1internal:generateContent');
    await agent.close();
  });
});
