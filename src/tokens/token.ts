/**
 * Access tokens, the pure part: the token's shape (`rotor_` + 32 random bytes, base64url), its hash (the only
 * thing kept), names, the stored record and its validation, and expiry times (`30d`, `12h`, `45m`, or a date).
 */
import { hash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'rotor_';
/** Names: letters, digits, `.`, `_`, `-`; 1 to 64 characters. */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Models a token may name, at most (a list is for a few, not a catalogue). */
export const MAX_MODELS = 100;

/** The record kept in the state store (namespace `token`, key = the name). Never the token itself. */
export interface TokenRecord {
  name: string;
  /** SHA-256 of the whole token, hex. */
  hash: string;
  /** ISO time. */
  created: string;
  /** ISO time; absent: never expires. */
  expires?: string;
  rpm?: number;
  rpd?: number;
  /** Total tokens (prompt, completion and thinking) a UTC day. */
  daily_tokens?: number;
  /** Upstream Gemini models the token may use (after aliases); absent: every model. */
  models?: string[];
}

/** What a new token may be given (the admin API's and the CLI's input). */
export interface TokenInput {
  name: string;
  rpm?: number;
  rpd?: number;
  daily_tokens?: number;
  models?: string[];
  /** `30d`, `12h`, `45m`, or an ISO date / time (in the future). */
  expires?: string;
}

/** A bad field of a token's input: `field` names it. */
export class TokenInputError extends Error {
  override readonly name = 'TokenInputError';
  constructor(
    readonly field: string,
    message: string,
    /** The name is taken (409, not 400). */
    readonly conflict = false,
  ) {
    super(message);
  }
}

/** A fresh token: `rotor_` + 32 random bytes in base64url (43 characters). */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The hash kept for a token (and looked up by): SHA-256, hex. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Whether a secret has a token's shape (then it is looked up, and refused when unknown). */
export function looksLikeToken(secret: string): boolean {
  return secret.startsWith(TOKEN_PREFIX);
}

/** `YYYY-MM-DD` of a time, in UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The next UTC midnight after `ms`: when a token's daily counts start again. */
export function nextUtcMidnight(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d` / `12h` / `45m` / `2w` from now, or an ISO date (`2026-01-31`, UTC midnight) or time; must be in the future. */
export function parseExpires(value: string, now: number): number {
  const v = value.trim();
  const rel = /^(\d{1,6})\s*([mhdw])$/i.exec(v);
  if (rel) {
    const ms = Number(rel[1]) * UNITS[rel[2]!.toLowerCase()]!;
    if (ms <= 0) throw new TokenInputError('expires', `expires: "${value}" is not in the future; use e.g. 30d, 12h or an ISO date`);
    return now + ms;
  }
  if (/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const at = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (Number.isFinite(at)) {
      if (at <= now) throw new TokenInputError('expires', `expires: ${v} is in the past`);
      return at;
    }
  }
  throw new TokenInputError('expires', `expires: expected a duration such as 30d, 12h or 45m, or an ISO date such as 2026-01-31, found "${value.slice(0, 60)}"`);
}

const LIMIT_FIELDS = ['rpm', 'rpd', 'daily_tokens'] as const;
const INPUT_FIELDS = new Set(['name', ...LIMIT_FIELDS, 'models', 'expires']);

function positiveInt(field: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new TokenInputError(field, `${field}: expected a whole number of at least 1 (or leave it out for no limit), found ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  return v;
}

/** A model name as clients write it, without `models/`. */
export function normaliseModel(m: string): string {
  return m.trim().replace(/^models\//, '');
}

/** Validates a token's input (a JSON body, or the CLI's flags as the same object); throws TokenInputError naming the field. */
export function validateInput(body: unknown): TokenInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TokenInputError('body', 'expected a JSON object such as {"name": "cursor-ide", "rpm": 20}');
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!INPUT_FIELDS.has(k)) throw new TokenInputError(k, `unknown field "${k.slice(0, 40)}": expected name, rpm, rpd, daily_tokens, models, expires`);
  }
  if (typeof b.name !== 'string' || !NAME_PATTERN.test(b.name)) {
    throw new TokenInputError('name', `name: expected 1 to 64 letters, digits, ".", "_" or "-", found ${JSON.stringify(b.name)?.slice(0, 80) ?? 'nothing'}`);
  }
  const out: TokenInput = { name: b.name };
  for (const f of LIMIT_FIELDS) {
    const n = positiveInt(f, b[f]);
    if (n !== undefined) out[f] = n;
  }
  if (b.models !== undefined && b.models !== null) {
    if (!Array.isArray(b.models) || b.models.length === 0 || b.models.length > MAX_MODELS) {
      throw new TokenInputError('models', `models: expected a list of 1 to ${MAX_MODELS} model names, e.g. ["gemini-2.5-flash"] (or leave it out for every model)`);
    }
    const models: string[] = [];
    for (const m of b.models) {
      const name = typeof m === 'string' ? normaliseModel(m) : '';
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw new TokenInputError('models', `models: ${JSON.stringify(m)?.slice(0, 80)} is not a model name`);
      if (!models.includes(name)) models.push(name);
    }
    out.models = models;
  }
  if (b.expires !== undefined && b.expires !== null) {
    if (typeof b.expires !== 'string') throw new TokenInputError('expires', 'expires: expected a string such as "30d", "12h" or an ISO date');
    out.expires = b.expires;
  }
  return out;
}

/** A record read back from the store; undefined when it is not one (a hand-edited or foreign entry is skipped). */
export function parseRecord(name: string, text: string): TokenRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (r.name !== name || typeof r.hash !== 'string' || !/^[0-9a-f]{64}$/.test(r.hash) || typeof r.created !== 'string') return undefined;
  const rec: TokenRecord = { name, hash: r.hash, created: r.created };
  if (typeof r.expires === 'string' && Number.isFinite(Date.parse(r.expires))) rec.expires = r.expires;
  for (const f of LIMIT_FIELDS) if (typeof r[f] === 'number' && Number.isSafeInteger(r[f]) && (r[f] as number) >= 1) rec[f] = r[f] as number;
  if (Array.isArray(r.models) && r.models.every((m) => typeof m === 'string')) rec.models = r.models as string[];
  return rec;
}
