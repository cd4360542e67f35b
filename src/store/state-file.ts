/**
 * The embedded state store: the pool's cooldowns and disables, snapshotted to a file in
 * PERSISTENT_STORAGE_PATH so a restart does not send every request back into quotas Google already refused.
 * Written atomically (temp + fsync + rename, 0600) only when something changed. A file that cannot be read
 * or written is logged and otherwise ignored: the state is an optimisation, serving must not depend on it.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CredentialPool } from '../pool/pool.js';
import type { PoolMember, PoolState } from '../pool/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/log.js';

const cooldown = z.object({ until: z.number(), reason: z.string() });
const stateSchema = z.object({
  version: z.literal(1),
  credentialCooldowns: z.record(z.string(), cooldown),
  modelCooldowns: z.record(z.string(), z.record(z.string(), cooldown)),
  disabled: z.record(z.string(), z.union([cooldown, z.string()])),
});

export interface StateFile {
  /** Writes now if anything changed since the last write. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function openStateFile<M extends PoolMember>(options: {
  path: string;
  pool: CredentialPool<M>;
  logger: Logger;
  intervalMs?: number;
}): Promise<StateFile> {
  const { path, pool, logger } = options;
  try {
    const parsed = stateSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (parsed.success) {
      pool.importState(parsed.data as PoolState);
      logger.info(`restored cooldowns from ${path}`);
    } else logger.warn(`state file ${path} is not in the expected shape; starting with a clean slate`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENOENT') logger.warn(`state file ${path} could not be read (${code ?? (err as Error).message}); starting with a clean slate`);
  }

  let written = pool.changes;
  let lastError: string | undefined;
  let chain = Promise.resolve();
  const flush = () =>
    (chain = chain.then(async () => {
      const changes = pool.changes;
      if (changes === written) return;
      try {
        await writeFileAtomic(path, JSON.stringify(pool.exportState()));
        written = changes;
        if (lastError) logger.info(`state file ${path} is writable again`);
        lastError = undefined;
      } catch (err) {
        const reason = (err as { code?: string }).code ?? (err as Error).message;
        if (reason !== lastError) logger.warn(`state file ${path} could not be written (${reason}); cooldowns will not survive a restart`);
        lastError = reason;
      }
    }));
  const timer = setInterval(() => void flush(), options.intervalMs ?? 5_000);
  timer.unref();
  return {
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
