import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { createTransport, upstreamBase } from '../../src/upstream/transport.js';
import { UpstreamError } from '../../src/upstream/errors.js';
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
