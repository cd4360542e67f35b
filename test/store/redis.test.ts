/**
 * The Redis store against a real redis-server (started here, on a free port): the conformance suite, then what
 * only a shared store does — instances hearing each other, atomic bookings across instances, expiries on every
 * key — and the resilient wrapper: Redis killed (SIGKILL), restarted, unreachable at start.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisStore, openRedisStore } from '../../src/store/redis.js';
import type { StateChange, WindowSpec } from '../../src/store/types.js';
import { describeStateStoreConformance } from './conformance.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

/** Every key under a prefix (the prefixes here are random: no glob characters). */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function dropKeys(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await admin.del(...keys);
}

const testPrefix = () => `rotor-test-${randomUUID()}:`;

describeStateStoreConformance('RedisStore', async () => {
  const now = { t: Date.now() };
  const prefix = testPrefix();
  const store = await openRedisStore({ url: server.url, prefix, now: () => now.t });
  return {
    store,
    now,
    close: async () => {
      await store.close();
      await dropKeys(prefix);
    },
  };
});
