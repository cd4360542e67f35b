/**
 * The chain knows when its handlers have ended: a handler can outlive its response (the client left), and
 * shutdown and tests wait for it rather than for time to pass.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChain, type Chain } from '../../src/http/chain.js';
import { openAIDialect } from '../../src/translate/openai-chat/adapter.js';
import { silentLogger } from '../../src/util/log.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('chain.idle()', () => {
  let server: Server;
  let chain: Chain;
  let url: string;
  let release: () => void = () => {};
  let entered: () => void = () => {};
  beforeAll(async () => {
    chain = createChain({
      routes: [
        {
          method: 'GET',
          path: '/slow',
          dialect: openAIDialect,
          auth: 'none',
          // Runs on after its client has gone, until the test lets it end.
          handle: async (r) => {
            entered();
            await new Promise<void>((resolve) => (release = resolve));
            if (!r.res.destroyed) r.res.end('late');
          },
        },
      ],
      access: () => undefined,
      adminAccess: () => undefined,
      maxBodyBytes: 1024,
      logger: silentLogger,
      dialectFor: () => openAIDialect,
      apiPrefixes: /^\/v1/,
    });
    server = createServer(chain);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is idle at once with nothing running', async () => {
    await expect(chain.idle()).resolves.toBeUndefined();
  });

  it('waits for a handler whose client has left, and wakes every waiter when it ends', async () => {
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const req = request(`${url}/slow`);
    const closed = new Promise<void>((resolve) => req.on('error', () => resolve()).on('close', () => resolve()));
    req.end();
    await inHandler;
    req.destroy(); // the client leaves; the handler is still waiting
    await closed;
    const order: string[] = [];
    const first = chain.idle().then(() => order.push('first'));
    const second = chain.idle().then(() => order.push('second'));
    await turn();
    await turn();
    expect(order).toEqual([]);
    order.push('released');
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['released', 'first', 'second']);
    await expect(chain.idle()).resolves.toBeUndefined();
  });
});
