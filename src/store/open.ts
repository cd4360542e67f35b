/**
 * Chooses and opens the state store for serve mode. With REDIS_URL: the Redis store behind its memory fallback
 * (resilient.ts), started even when Redis cannot be reached (it then serves from memory and says so). Without:
 * the memory store with its snapshot file in PERSISTENT_STORAGE_PATH, as always.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../util/log.js';
import { MemoryStore } from './memory.js';
import { openSnapshot } from './snapshot.js';
import type { StateStore } from './types.js';

/** Cooldowns, disables, usage and durable records, kept beside the credential files (memory store only). */
export const STATE_FILE = 'rotor-state.json';

/**
 * Key-value namespaces the memory store's snapshot keeps: not the signature cache (only worth its TTL), nor
 * stored Responses API conversations (`resp`: an hour's worth, and clients' conversations do not belong on disk).
 */
export const durableNamespace = (ns: string) => ns !== 'sig' && ns !== 'resp';

export interface OpenedStateStore {
  store: StateStore;
  /** Writes the memory store's snapshot now, if anything changed (nothing to do on Redis). */
  flush(): Promise<void>;
  /** Why the snapshot cannot be written now, if it cannot (always undefined on Redis: see store.health()). */
  stateError(): string | undefined;
  /** Writes the snapshot one last time (memory) and closes the store. */
  close(): Promise<void>;
}

export interface OpenStateStoreOptions {
  /** How often the memory store's snapshot is written when something changed (default 5 s). */
  stateIntervalMs?: number;
  /** How long the start waits for Redis before serving from memory (default 2 s). */
  redisStartTimeoutMs?: number;
  /** How long one Redis call may take before it is answered from memory (default 1 s; three in a row, or a dropped connection, switch to memory). */
  redisTimeoutMs?: number;
  /** Days usage counters are kept in Redis after their last count (default 30). */
  usageRetentionDays?: number;
}

export async function openStateStore(
  config: Pick<Config, 'storagePath' | 'redisUrl' | 'redisPrefix'>,
  logger: Logger,
  clock: { now(): number },
  options: OpenStateStoreOptions = {},
): Promise<OpenedStateStore> {
  const now = () => clock.now();
  if (config.redisUrl === undefined) {
    const store = new MemoryStore({ now });
    const snapshot = await openSnapshot({ path: join(config.storagePath, STATE_FILE), store, logger, durable: durableNamespace, intervalMs: options.stateIntervalMs });
    return {
      store,
      flush: () => snapshot.flush(),
      stateError: () => snapshot.error,
      async close() {
        await snapshot.close();
        await store.close();
      },
    };
  }

  const password = redisPassword(config.redisUrl);
  if (password) logger.addSecret(password);
  // Loaded only with REDIS_URL: the Redis client is the largest module Rotor has.
  const { RedisStore, describeRedisUrl } = await import('./redis.js');
  const { ResilientStore } = await import('./resilient.js');
  const redis = new RedisStore({ url: config.redisUrl, prefix: config.redisPrefix, now, logger, usageRetentionDays: options.usageRetentionDays });
  const store = await ResilientStore.open({ redis, logger, now, timeoutMs: options.redisTimeoutMs, startTimeoutMs: options.redisStartTimeoutMs });
  if (store.serving === 'redis') logger.info(`state shared through Redis at ${describeRedisUrl(config.redisUrl)} (prefix ${config.redisPrefix})`);
  return {
    store,
    flush: async () => {},
    stateError: () => undefined,
    close: () => store.close(),
  };
}

function redisPassword(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p === '' ? undefined : p;
  } catch {
    return undefined;
  }
}
