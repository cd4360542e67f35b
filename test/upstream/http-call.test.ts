import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { postJson, upstreamBase } from '../../src/upstream/http-call.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { ClientSignal } from '../../src/util/call-signal.js';

describe('postJson', () => {
  let server: Server;
  let seen = 0;
  let base: ReturnType<typeof upstreamBase>;
  const agent = new Agent();
  const opts = { timeoutMs: 5000, defaultRateCooldownMs: 1000, now: Date.now };
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
    const err = await postJson(agent, base, '/x', { 'x-goog-api-key': 'AIza\u2019curly' }, {}, new ClientSignal(), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ scope: 'credential', kind: 'auth', fatal: true });
    expect(seen).toBe(0); // nothing was sent
    const ok = await postJson(agent, base, '/x', { 'x-goog-api-key': 'AIzaGood' }, {}, new ClientSignal(), opts);
    expect(await ok.body.json()).toEqual({ ok: true });
  });
});
