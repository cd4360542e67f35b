/**
 * Quota limits from configuration: QUOTAS (JSON) or the `quotas` key of rotor.config.json (ROTOR_CONFIG names
 * another file). Shape: `{"routes": {route: {tier: {model: {rpm, rpd, tpm}}}}, "buckets": {quotaKey: {model:
 * {rpm, rpd, tpm}}}}`, `*` for any tier or model. Nothing configured means nothing booked until Google's 429s
 * teach Rotor a limit: Google no longer publishes free-tier numbers, and they differ by project and model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodIssues } from '../translate/zod-message.js';
import type { QuotaConfig } from '../pool/quota.js';

const count = z.number().int().nonnegative();
const limits = z.strictObject({ rpm: count.optional(), rpd: count.optional(), tpm: count.optional() });
const byModel = z.record(z.string().min(1), limits);
export const quotaConfigSchema = z.strictObject({
  routes: z.partialRecord(z.enum(['code-assist', 'gemini-api', 'vertex']), z.record(z.string().min(1), byModel)).optional(),
  buckets: z.record(z.string().min(1), byModel).optional(),
});

export type QuotaConfigResult = { ok: true; quotas: QuotaConfig } | { ok: false; error: string };

/** QUOTAS wins; else the file's `quotas`; else nothing configured. */
export function loadQuotaConfig(env: NodeJS.ProcessEnv, read: (path: string) => string | undefined = readIfPresent): QuotaConfigResult {
  let source: string;
  let raw: unknown;
  try {
    if (env.QUOTAS !== undefined && env.QUOTAS.trim() !== '') {
      source = 'QUOTAS';
      raw = JSON.parse(env.QUOTAS);
    } else {
      const path = env.ROTOR_CONFIG?.trim() || 'rotor.config.json';
      const text = read(path);
      if (text === undefined) {
        if (env.ROTOR_CONFIG?.trim()) return { ok: false, error: `ROTOR_CONFIG: no file at "${path}"` };
        return { ok: true, quotas: {} };
      }
      source = `${path} "quotas"`;
      raw = (JSON.parse(text) as { quotas?: unknown }).quotas ?? {};
    }
  } catch (err) {
    return { ok: false, error: `${env.QUOTAS ? 'QUOTAS' : (env.ROTOR_CONFIG ?? 'rotor.config.json')}: not valid JSON (${(err as Error).message})` };
  }
  const parsed = quotaConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: `${source}: ${formatZodIssues(parsed.error)}` };
  return { ok: true, quotas: parsed.data };
}

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
