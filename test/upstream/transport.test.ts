import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { createTransport, upstreamBase } from '../../src/upstream/transport.js';
import { UpstreamError, UpstreamNetworkError } from '../../src/upstream/errors.js';
import { ClientAbortError } from '../../src/upstream/types.js';
import { ClientSignal } from '../../src/util/call-signal.js';

describe('the upstream transport', () => {
  let server: Server;
  let seen = 0;
  let base: ReturnType<typeof upstreamBase>;
  const agent = new Agent();
  const transport = createTransport({ timeoutMs: 5000, defaultRateCooldownMs: 1000, dispatcher: agent });
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = upstreamBase(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await agent.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('blames the credential, for good, when its key cannot travel in a header (the request moves on)', async () => {
    const err = await transport.send(base, { path: '/x', headers: { 'x-goog-api-key': 'AIza\u2019curly' }, body: {}, signal: new ClientSignal() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ scope: 'credential', kind: 'auth', fatal: true });
    expect(seen).toBe(0); // nothing was sent
    const ok = await transport.send(base, { path: '/x', headers: { 'x-goog-api-key': 'AIzaGood' }, body: {}, signal: new ClientSignal() });
    expect(await ok.body.json()).toEqual({ ok: true });
  });
});

describe('reading a JSON answer', () => {
  let server: Server;
  let base: ReturnType<typeof upstreamBase>;
  let writeRest: () => void = () => {};
  const agent = new Agent();
  const transport = createTransport({ timeoutMs: 5000, defaultRateCooldownMs: 1000, dispatcher: agent, maxResponseBytes: 1000 });
  const call = (path: string, signal = new ClientSignal()) => transport.send(base, { path, headers: {}, body: {}, signal }).then((res) => transport.json<unknown>(res, signal));
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      const half = `{"text":"${'a'.repeat(300)}`;
      switch (req.url) {
        case '/chunks': // one answer in three writes, no content-length
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(half);
          res.write('b'.repeat(300));
          return void res.end('"}');
        case '/big': // over the limit, chunked: refused as it arrives
          res.writeHead(200, { 'content-type': 'application/json' });
          for (let i = 0; i < 5; i++) res.write(half);
          return void res.end('"}');
        case '/declared': // over the limit by its content-length: refused before reading
          return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' }).end('x'.repeat(5000));
        case '/cut': // the connection drops mid-answer
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(half);
          return void setImmediate(() => res.socket?.destroy());
        case '/slow': // half now, the rest when the test says
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(half);
          writeRest = () => res.end('"}');
          return;
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = upstreamBase(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await agent.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reads an answer that arrives in several writes', async () => {
    expect(await call('/chunks')).toEqual({ text: `${'a'.repeat(300)}${'b'.repeat(300)}` });
  });

  it("refuses an answer past maxResponseBytes, declared or not, as the request's fault", async () => {
    for (const path of ['/big', '/declared']) {
      const err = await call(path).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(UpstreamError);
      expect(err, path).toMatchObject({ scope: 'request', message: expect.stringMatching(/larger than 1000 bytes/) });
    }
  });

  it('turns a connection that drops mid-answer into a network failure', async () => {
    const err = await call('/cut').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamNetworkError);
  });

  it('stops reading when the client leaves', async () => {
    const signal = new ClientSignal();
    const res = await transport.send(base, { path: '/slow', headers: {}, body: {}, signal });
    const reading = transport.json<unknown>(res, signal).catch((e: unknown) => e);
    signal.abort();
    expect(await reading).toBeInstanceOf(ClientAbortError);
    writeRest();
  });
});
