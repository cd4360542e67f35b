/**
 * Gemini API keys (docs/google-protocols.md#api-keys): the key comes in `x-goog-api-key` or `?key=`; a key
 * belongs to a Google Cloud project, and quotas belong to the project (two keys of one project share its
 * buckets, docs/google-protocols.md#gemini-api-quotas).
 */
import type { IncomingMessage } from 'node:http';
import { limitsFor, normalizeQuotas, type QuotaHolder, type QuotaLimits, type QuotaTable } from './quota.js';
import { accessTokenTypeUnsupported, apiKeyInvalid, unregisteredCaller } from './gemini-api-errors.js';
import type { RpcError } from './rpc-errors.js';
import type { SimApiKeyInput } from './types.js';

export interface SimApiKey {
  key: string;
  projectId: string;
  /** A standard key Google no longer accepts: every call answers 401 ACCESS_TOKEN_TYPE_UNSUPPORTED. */
  rejected: boolean;
}

/** A refusal names the key when Google knows it (a rejected key), so the call log can show its project. */
export type KeyAuth =
  | { ok: true; key: SimApiKey; masked: string }
  | { ok: false; error: RpcError; masked?: string; key?: SimApiKey };

export class ApiKeyBook {
  private readonly keys = new Map<string, SimApiKey>();
  /** Per project: flat rpm / rpd (every model) and per-model quotas, as the last key to set them left them. */
  private readonly limits = new Map<string, QuotaHolder>();

  upsert(input: SimApiKeyInput): SimApiKey {
    if (typeof input.key !== 'string' || input.key === '') throw new Error('simulator: an API key needs a non-empty key');
    if (typeof input.projectId !== 'string' || input.projectId === '') throw new Error('simulator: an API key needs a projectId');
    const quotas = input.quotas === undefined ? undefined : normalizeQuotas(input.quotas);
    const key: SimApiKey = { key: input.key, projectId: input.projectId, rejected: input.rejected ?? this.keys.get(input.key)?.rejected ?? false };
    this.keys.set(key.key, key);
    const limits = { ...this.limits.get(key.projectId) };
    if ('rpm' in input) setOptional(limits, 'rpm', input.rpm);
    if ('rpd' in input) setOptional(limits, 'rpd', input.rpd);
    if ('quotas' in input) setOptional(limits, 'quotas', quotas);
    this.limits.set(key.projectId, limits);
    return key;
  }

  remove(key: string): void {
    this.keys.delete(key);
  }

  get(key: string): SimApiKey | undefined {
    return this.keys.get(key);
  }

  /** The project's own settings: flat rpm / rpd and per-model quotas. */
  holderOf(projectId: string): QuotaHolder {
    return this.limits.get(projectId) ?? {};
  }

  /** The limits on one model of the project, the simulator-wide defaults filling what the project leaves open. */
  limitsFor(projectId: string, model: string, defaults: QuotaTable): QuotaLimits {
    return limitsFor(model, this.holderOf(projectId), defaults);
  }

  list(): Array<KeyView & QuotaHolder> {
    return [...this.keys.values()].map((k) => ({ ...keyView(k), ...structuredClone(this.holderOf(k.projectId)) }));
  }

  /** The header wins over the query parameter, as Google's front end reads it first. `method` names the RPC in errors. */
  authenticate(req: IncomingMessage, query: URLSearchParams, method: string): KeyAuth {
    const header = req.headers['x-goog-api-key'];
    const sent = (typeof header === 'string' && header !== '' ? header : undefined) ?? query.get('key') ?? undefined;
    if (sent === undefined || sent === '') return { ok: false, error: unregisteredCaller() };
    const masked = maskKey(sent);
    const key = this.keys.get(sent);
    if (!key) return { ok: false, error: apiKeyInvalid(), masked };
    if (key.rejected) return { ok: false, error: accessTokenTypeUnsupported(method), masked, key };
    return { ok: true, key, masked };
  }
}

export interface KeyView {
  key: string;
  projectId: string;
  rejected?: true;
}

/** A key as the control API shows it: `rejected` only when it is. */
export function keyView(k: SimApiKey): KeyView {
  return { key: k.key, projectId: k.projectId, ...(k.rejected ? { rejected: true as const } : {}) };
}

/** `AIza...wxyz`: enough to tell keys apart in a log, not enough to use one. */
export function maskKey(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 4)}...${key.slice(-4)}`;
}

function setOptional<K extends keyof QuotaHolder>(limits: QuotaHolder, name: K, value: QuotaHolder[K] | undefined): void {
  if (value === undefined) delete limits[name];
  else limits[name] = value;
}
