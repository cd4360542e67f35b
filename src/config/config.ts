/**
 * Configuration: process.env (plus .env, loaded by main) validated once by zod. loadConfig() never throws;
 * it returns either the config or one line per bad variable so main can print them and exit 2.
 */
import { z } from 'zod';
import type { QuotaConfig } from '../pool/quota.js';
import { loadQuotaConfig } from './quotas.js';

/**
 * gemini-cli's public installed-app OAuth client (docs/google-protocols.md#oauth-client-and-scopes; Google
 * documents it as not secret).
 */
export const GEMINI_CLI_CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com';
export const GEMINI_CLI_CLIENT_SECRET = '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';

export const DEFAULT_MODELS = [
  'gemini-2.5-pro',
  'gemini-2.5-flash',
  'gemini-2.5-flash-lite',
  'gemini-3-pro-preview',
  'gemini-3.1-pro-preview',
  'gemini-3-flash-preview',
];

const bool = (name: string, def: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name}: expected true or false, found "${v}"` });
      return z.NEVER;
    });

const int = (name: string, def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name}: expected a whole number from ${min} to ${max}, found "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const url = (name: string, def: string | undefined) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const s = v.trim().replace(/\/+$/, '');
      try {
        const u = new URL(s);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
        return s;
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name}: expected an http(s) URL, found "${v}"` });
        return z.NEVER;
      }
    });

/** A duration: a number with a unit (`ms`, `s`, `m`, `h`, `d`); a bare number is seconds. In milliseconds. */
const duration = (name: string, defMs: number, minMs: number, maxMs: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return defMs;
      const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(v.trim());
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m?.[2] ?? 's').toLowerCase() as 'ms'];
      const ms = m ? Math.round(Number(m[1]) * unit) : NaN;
      if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: `${name}: expected a duration such as 3600, 90m or 1h (from ${minMs / 1000} s to ${maxMs / 86_400_000} days), found "${v}"` });
        return z.NEVER;
      }
      return ms;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A redis:// or rediss:// URL; a bad one is reported without echoing it (it may hold a password). */
const redisUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    const s = v.trim();
    try {
      const u = new URL(s);
      if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') throw new Error('protocol');
      return s;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'REDIS_URL: expected redis://[user:password@]host[:port][/db] (rediss:// for TLS)' });
      return z.NEVER;
    }
  });

const envSchema = z.object({
  PORT: int('PORT', 7860, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  GEMINI_AUTH_PASSWORD: z.string().optional().transform((v) => (v === undefined || v === '' ? undefined : v)),
  ADMIN_PASSWORD: z.string().optional().transform((v) => (v === undefined || v === '' ? undefined : v)),
  METRICS_TOKEN: z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim())),
  PERSISTENT_STORAGE_PATH: optionalString.transform((v) => v ?? './credentials'),
  CREDENTIALS_JSON_LIST: z.string().optional(),
  CLIENT_ID: optionalString,
  CLIENT_SECRET: optionalString,
  DOMAIN_NAME: url('DOMAIN_NAME', 'http://localhost:7860'),
  DEBUG: bool('DEBUG', false),
  DEBUG_REDACT_LOGS: bool('DEBUG_REDACT_LOGS', true),
  CODE_ASSIST_ENDPOINT: url('CODE_ASSIST_ENDPOINT', 'https://cloudcode-pa.googleapis.com'),
  GEMINI_API_BASE_URL: url('GEMINI_API_BASE_URL', 'https://generativelanguage.googleapis.com'),
  GOOGLE_OAUTH_AUTH_URL: url('GOOGLE_OAUTH_AUTH_URL', 'https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_OAUTH_TOKEN_URL: url('GOOGLE_OAUTH_TOKEN_URL', undefined),
  GOOGLE_USERINFO_URL: url('GOOGLE_USERINFO_URL', 'https://www.googleapis.com/oauth2/v2/userinfo'),
  MODELS: optionalString,
  MAX_BODY_BYTES: int('MAX_BODY_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  UPSTREAM_TIMEOUT_MS: int('UPSTREAM_TIMEOUT_MS', 120_000, 100, 3_600_000),
  DEFAULT_COOLDOWN_MS: int('DEFAULT_COOLDOWN_MS', 60_000, 0, 86_400_000),
  MAX_ATTEMPTS: int('MAX_ATTEMPTS', 10, 1, 1000),
  SHUTDOWN_GRACE_MS: int('SHUTDOWN_GRACE_MS', 30_000, 0, 3_600_000),
  SESSION_SECRET: optionalString,
  GEMINI_API_KEYS: optionalString,
  MODEL_FALLBACKS: optionalString.transform((v, ctx) => {
    const map = new Map<string, string[]>();
    for (const rule of (v ?? '').split(';').map((r) => r.trim()).filter(Boolean)) {
      const m = /^([^=\s]+)\s*=\s*(.+)$/.exec(rule);
      const targets = m ? m[2]!.split(',').map((t) => t.trim()).filter(Boolean) : [];
      if (!m || targets.length === 0) {
        ctx.addIssue({ code: 'custom', message: `MODEL_FALLBACKS: expected "model=fallback[,fallback…][;model=…]", found "${rule}"` });
        return z.NEVER;
      }
      map.set(m[1]!, targets);
    }
    return map;
  }),
  MODEL_ALIASES: optionalString.transform((v, ctx) => {
    const rules: ModelAliasRule[] = [];
    for (const rule of (v ?? '').split(';').map((r) => r.trim()).filter(Boolean)) {
      const m = /^([^=\s]+)\s*=\s*([^=\s]+)$/.exec(rule);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `MODEL_ALIASES: expected "pattern=model[;pattern=model…]" (a pattern may use *), found "${rule}"` });
        return z.NEVER;
      }
      rules.push({ pattern: m[1]!, model: m[2]! });
    }
    return rules;
  }),
  MEDIA_FETCH_ALLOW_PRIVATE: bool('MEDIA_FETCH_ALLOW_PRIVATE', false),
  MEDIA_FETCH_MAX_BYTES: int('MEDIA_FETCH_MAX_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  MEDIA_FETCH_TIMEOUT_MS: int('MEDIA_FETCH_TIMEOUT_MS', 15_000, 100, 600_000),
  MEDIA_MAX_URLS: int('MEDIA_MAX_URLS', 16, 0, 1000),
  MEDIA_MAX_TOTAL_BYTES: int('MEDIA_MAX_TOTAL_BYTES', 50 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  ROTATION_STRATEGY: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? '').trim().toLowerCase() || 'headroom';
      if ((STRATEGIES as readonly string[]).includes(s)) return s as RotationStrategy;
      ctx.addIssue({ code: 'custom', message: `ROTATION_STRATEGY: expected one of ${STRATEGIES.join(', ')}, found "${v}"` });
      return z.NEVER;
    }),
  MAX_QUEUE_WAIT_MS: int('MAX_QUEUE_WAIT_MS', 10_000, 0, 600_000),
  MAX_QUEUE_LENGTH: int('MAX_QUEUE_LENGTH', 100, 0, 100_000),
  QUOTA_WINDOW_MS: int('QUOTA_WINDOW_MS', 60_000, 100, 3_600_000),
  QUOTA_MARGIN_MS: int('QUOTA_MARGIN_MS', 50, 0, 60_000),
  REDIS_URL: redisUrl,
  REDIS_PREFIX: z.string().optional().transform((v) => (v === undefined || v === '' ? 'rotor:' : v)),
  RESPONSES_TTL: duration('RESPONSES_TTL', 3_600_000, 1_000, 30 * 86_400_000),
  RESPONSES_MAX_STORED_BYTES: int('RESPONSES_MAX_STORED_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  USAGE_RETENTION_DAYS: int('USAGE_RETENTION_DAYS', 30, 1, 3650),
  EXPOSE: bool('EXPOSE', false),
});

export const STRATEGIES = ['headroom', 'round-robin', 'fill-first', 'least-used'] as const;
export type RotationStrategy = (typeof STRATEGIES)[number];

export interface Config {
  port: number;
  host: string;
  password: string | undefined;
  /** Opens the dashboard and /admin beyond this machine (ADMIN_PASSWORD); without it they answer on loopback only. */
  adminPassword: string | undefined;
  /** Opens GET /metrics from anywhere to `Authorization: Bearer <METRICS_TOKEN>` (and only to it); without it, the admin rule. */
  metricsToken: string | undefined;
  storagePath: string;
  credentialsJsonList: string | undefined;
  clientId: string;
  clientSecret: string;
  domainName: string;
  debug: boolean;
  redactLogs: boolean;
  codeAssistEndpoint: string;
  geminiApiBaseUrl: string;
  oauthAuthUrl: string;
  /** Set only when GOOGLE_OAUTH_TOKEN_URL is: then it overrides every credential's token_uri. */
  oauthTokenUrlOverride: string | undefined;
  oauthTokenUrl: string;
  userinfoUrl: string;
  models: string[];
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  defaultCooldownMs: number;
  maxAttempts: number;
  /** On SIGTERM, how long in-flight requests may take before their connections are closed. */
  shutdownGraceMs: number;
  sessionSecret: string | undefined;
  /** Comma-separated Gemini API keys (each its own quota bucket unless a file names its project). */
  geminiApiKeys: string | undefined;
  /** How a credential is chosen among those free (ROTATION_STRATEGY). */
  rotationStrategy: RotationStrategy;
  /** Configured quota limits (QUOTAS or rotor.config.json). */
  quotas: QuotaConfig;
  /** How long a request may wait for quota, and how many may wait per model (0: no queue). */
  queue: { maxWaitMs: number; maxLength: number };
  /** The length of a per-minute quota window. */
  quotaWindowMs: number;
  /** How much later than its booking Google may count a request (transit, upload); added to each minute. */
  quotaMarginMs: number;
  /** Shared state for several instances (REDIS_URL); undefined: the memory store, snapshotted to a file. */
  redisUrl: string | undefined;
  /** Of every Redis key and of the change channel (REDIS_PREFIX, default `rotor:`). */
  redisPrefix: string;
  /** maxBytes per URL; maxUrls and maxTotalBytes per request (MEDIA_MAX_URLS, MEDIA_MAX_TOTAL_BYTES). */
  mediaFetch: { allowPrivateNetworks: boolean; maxBytes: number; timeoutMs: number; maxUrls: number; maxTotalBytes: number };
  /** model → models to try in order when no credential can serve it (all out of quota). */
  modelFallbacks: ReadonlyMap<string, string[]>;
  /** Client model name patterns → Gemini models, tried before the Claude defaults (MODEL_ALIASES). */
  modelAliases: ModelAliasRule[];
  /** The most conversation one stored Responses API response keeps (RESPONSES_MAX_STORED_BYTES). */
  responsesMaxStoredBytes: number;
  /** How long stored Responses API responses (`store`, `previous_response_id`) are kept (RESPONSES_TTL). */
  responsesTtlMs: number;
  /** Days usage counters are kept (USAGE_RETENTION_DAYS, default 30). */
  usageRetentionDays: number;
  /** Publish Rotor through a Cloudflare quick tunnel (EXPOSE, or `rotor --expose`). */
  expose: boolean;
}

/** One MODEL_ALIASES rule: a model name pattern (`*` matches anything, case ignored) → the Gemini model. */
export interface ModelAliasRule {
  pattern: string;
  model: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The start refusal for a public HOST with neither a password nor an access token (exit 2). */
export function publicWithoutAccess(host: string): string {
  return `HOST: "${host}" is not a loopback address, and the API has neither GEMINI_AUTH_PASSWORD nor an access token: anyone reaching it could spend your quota. Set GEMINI_AUTH_PASSWORD, or create a token (rotor tokens create --name NAME), or listen on 127.0.0.1`;
}

export function loadConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) =>
      i.code === 'custom' ? i.message : `${String(i.path[0])}: ${i.message}`,
    );
    return { ok: false, errors };
  }
  const e = parsed.data;
  // A public HOST without GEMINI_AUTH_PASSWORD serves access tokens only; whether there is one is known once the
  // state store is open (publicWithoutAccess, checked at start).
  const quotas = loadQuotaConfig(env);
  if (!quotas.ok) return { ok: false, errors: [quotas.error] };
  const models = e.MODELS ? e.MODELS.split(',').map((m) => m.trim()).filter(Boolean) : DEFAULT_MODELS;
  return {
    ok: true,
    config: {
      port: e.PORT,
      host: e.HOST,
      password: e.GEMINI_AUTH_PASSWORD,
      adminPassword: e.ADMIN_PASSWORD,
      metricsToken: e.METRICS_TOKEN,
      storagePath: e.PERSISTENT_STORAGE_PATH,
      credentialsJsonList: e.CREDENTIALS_JSON_LIST,
      clientId: e.CLIENT_ID ?? GEMINI_CLI_CLIENT_ID,
      clientSecret: e.CLIENT_SECRET ?? GEMINI_CLI_CLIENT_SECRET,
      domainName: e.DOMAIN_NAME!,
      debug: e.DEBUG,
      redactLogs: e.DEBUG_REDACT_LOGS,
      codeAssistEndpoint: e.CODE_ASSIST_ENDPOINT!,
      geminiApiBaseUrl: e.GEMINI_API_BASE_URL!,
      oauthAuthUrl: e.GOOGLE_OAUTH_AUTH_URL!,
      oauthTokenUrlOverride: e.GOOGLE_OAUTH_TOKEN_URL,
      oauthTokenUrl: e.GOOGLE_OAUTH_TOKEN_URL ?? 'https://oauth2.googleapis.com/token',
      userinfoUrl: e.GOOGLE_USERINFO_URL!,
      models,
      maxBodyBytes: e.MAX_BODY_BYTES,
      upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
      defaultCooldownMs: e.DEFAULT_COOLDOWN_MS,
      maxAttempts: e.MAX_ATTEMPTS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      sessionSecret: e.SESSION_SECRET,
      geminiApiKeys: e.GEMINI_API_KEYS,
      modelFallbacks: e.MODEL_FALLBACKS,
      modelAliases: e.MODEL_ALIASES,
      rotationStrategy: e.ROTATION_STRATEGY,
      quotas: quotas.quotas,
      queue: { maxWaitMs: e.MAX_QUEUE_WAIT_MS, maxLength: e.MAX_QUEUE_LENGTH },
      quotaWindowMs: e.QUOTA_WINDOW_MS,
      quotaMarginMs: e.QUOTA_MARGIN_MS,
      redisUrl: e.REDIS_URL,
      redisPrefix: e.REDIS_PREFIX,
      responsesTtlMs: e.RESPONSES_TTL,
      responsesMaxStoredBytes: e.RESPONSES_MAX_STORED_BYTES,
      usageRetentionDays: e.USAGE_RETENTION_DAYS,
      expose: e.EXPOSE,
      mediaFetch: {
        allowPrivateNetworks: e.MEDIA_FETCH_ALLOW_PRIVATE,
        maxBytes: e.MEDIA_FETCH_MAX_BYTES,
        timeoutMs: e.MEDIA_FETCH_TIMEOUT_MS,
        maxUrls: e.MEDIA_MAX_URLS,
        maxTotalBytes: e.MEDIA_MAX_TOTAL_BYTES,
      },
    },
  };
}
