/**
 * The memory store's snapshot in PERSISTENT_STORAGE_PATH, so a restart does not send every request back into
 * quotas Google already refused, forget today's usage or lose access tokens. Written atomically (temp + fsync
 * + rename, 0600) only when something changed. A file that cannot be read or written is reported (status,
 * log once) and otherwise ignored: serving must not depend on it.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/log.js';
import type { MemorySnapshot, MemoryStore } from './memory.js';

const cooldown = z.object({ until: z.number(), reason: z.string() });
/** The first format (before the state store): cooldowns by credential and by quota bucket. */
const v1Schema = z.object({
  version: z.literal(1),
  credentialCooldowns: z.record(z.string(), cooldown),
  modelCooldowns: z.record(z.string(), z.record(z.string(), cooldown)),
  disabled: z.record(z.string(), z.union([cooldown, z.string()])),
});
const v2Schema = z.object({
  version: z.literal(2),
  cooldowns: z.array(cooldown.extend({ scope: z.string(), model: z.string(), kind: z.string() })),
  disables: z.array(z.object({ id: z.string(), reason: z.string(), until: z.number().optional() })),
  usage: z.array(z.object({ day: z.string(), dims: z.record(z.string(), z.string()), counts: z.record(z.string(), z.number()) })),
  kv: z.record(z.string(), z.array(z.object({ key: z.string(), value: z.string(), expires: z.number().optional() }))),
  fixed: z.array(z.object({ window: z.string(), resetAt: z.number(), entries: z.array(z.tuple([z.string(), z.number(), z.number()])) })),
});

function fromV1(v1: z.infer<typeof v1Schema>): MemorySnapshot {
  const cooldowns: MemorySnapshot['cooldowns'] = [];
  for (const [id, c] of Object.entries(v1.credentialCooldowns)) cooldowns.push({ scope: `cred:${id}`, model: '*', kind: 'transient', ...c });
  for (const [key, book] of Object.entries(v1.modelCooldowns)) {
    for (const [model, c] of Object.entries(book)) cooldowns.push({ scope: `bucket:${key}`, model, kind: 'rate', ...c });
  }
  // Older files kept disables as bare reasons, for good: those are learned again instead.
  const disables = Object.entries(v1.disabled).flatMap(([id, d]) => (typeof d === 'object' ? [{ id, reason: d.reason, until: d.until }] : []));
  return { cooldowns, disables, usage: [], kv: {}, fixed: [] };
}

export interface Snapshotter {
  /** Writes now if anything changed since the last write. */
  flush(): Promise<void>;
  /** The last write's failure, if the file cannot be written now. */
  readonly error: string | undefined;
  close(): Promise<void>;
}

export async function openSnapshot(options: {
  path: string;
  store: MemoryStore;
  logger: Logger;
  /** Key-value namespaces worth keeping across a restart. */
  durable: (ns: string) => boolean;
  intervalMs?: number;
}): Promise<Snapshotter> {
  const { path, store, logger } = options;
  try {
    const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
    const v2 = v2Schema.safeParse(raw);
    const v1 = v2.success ? undefined : v1Schema.safeParse(raw);
    if (v2.success) store.restore({ ...v2.data, disables: v2.data.disables.map((d) => ({ ...d, until: d.until })) });
    else if (v1?.success) store.restore(fromV1(v1.data));
    else logger.warn(`state file ${path} is not in the expected shape; starting with a clean slate`);
    if (v2.success || v1?.success) logger.info(`restored cooldowns and usage from ${path}`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENOENT') logger.warn(`state file ${path} could not be read (${code ?? (err as Error).message}); starting with a clean slate`);
  }

  let written = store.version;
  let lastError: string | undefined;
  let chain = Promise.resolve();
  const flush = () =>
    (chain = chain.then(async () => {
      const version = store.version;
      if (version === written) return;
      try {
        await writeFileAtomic(path, JSON.stringify({ version: 2, ...store.snapshot(options.durable) }));
        written = version;
        if (lastError) logger.info(`state file ${path} is writable again`);
        lastError = undefined;
      } catch (err) {
        const reason = (err as { code?: string }).code ?? (err as Error).message;
        if (reason !== lastError) logger.warn(`state file ${path} could not be written (${reason}); cooldowns and usage will not survive a restart`);
        lastError = reason;
      }
    }));
  const timer = setInterval(() => void flush(), options.intervalMs ?? 5_000);
  timer.unref();
  return {
    flush,
    get error() {
      return lastError;
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
