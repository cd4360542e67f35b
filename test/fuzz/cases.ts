/**
 * What a fuzz case is: a raw request, the dialect its errors must be in, and what a correct answer is
 * (whether a 2xx is acceptable and, for a 4xx, its status and what the message must name). The cases
 * themselves come from mutations.ts (random) and framing.ts (fixed).
 */
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import type { RawRequest } from './raw-http.js';
import { ALL_TEMPLATES, type BodyRoute, type Json } from './bodies.js';

/**
 * The error shape a route answers in: OpenAI's (`/v1`, the Responses routes too), google.rpc.Status
 * (`/v1beta`), Anthropic's (everything under `/v1/messages`).
 */
export type Dialect = 'openai' | 'google' | 'anthropic';

export interface Expectation {
  /** A 2xx is a correct answer (the input happens to be valid). */
  allow2xx: boolean;
  /** A 4xx is a correct answer. */
  allow4xx: boolean;
  /** When set, a 4xx must have one of these statuses. */
  statuses?: number[];
  /** A 4xx message must match. */
  mentions?: RegExp;
  /** HEAD: no body to check. */
  noBody?: boolean;
}

export interface FuzzCase {
  kind: string;
  note: string;
  dialect: Dialect;
  request: RawRequest;
  expect: Expectation;
}

export interface CaseContext {
  password: string;
  /** MAX_BODY_BYTES of the server under test. */
  limit: number;
}

const MODEL = 'gemini-2.5-flash';

export function routePath(route: BodyRoute, model = MODEL): string {
  switch (route) {
    case 'chat':
      return '/v1/chat/completions';
    case 'generate':
      return `/v1beta/models/${model}:generateContent`;
    case 'stream':
      return `/v1beta/models/${model}:streamGenerateContent`;
    case 'stream-sse':
      return `/v1beta/models/${model}:streamGenerateContent?alt=sse`;
    case 'count':
      return `/v1beta/models/${model}:countTokens`;
    case 'messages':
      return '/v1/messages';
    case 'count-messages':
      // Claude Code's SDK adds ?beta=true: a query, the same route.
      return '/v1/messages/count_tokens?beta=true';
    case 'responses':
      return '/v1/responses';
  }
}

/** The dialect a path's errors must be in: google.rpc.Status under /v1beta, Anthropic's under /v1/messages, OpenAI elsewhere. */
export function dialectOfPath(path: string): Dialect {
  const p = path.split('?')[0]!.toLowerCase();
  if (p === '/v1/messages' || p.startsWith('/v1/messages/')) return 'anthropic';
  return p === '/v1beta' || p.startsWith('/v1beta/') ? 'google' : 'openai';
}

/** Where each dialect's SDKs put the key: x-goog-api-key, x-api-key (the Anthropic SDKs), a Bearer token. */
export function authHeaders(dialect: Dialect, password: string): Record<string, string> {
  if (dialect === 'google') return { 'x-goog-api-key': password };
  if (dialect === 'anthropic') return { 'x-api-key': password, 'anthropic-version': '2023-06-01' };
  return { authorization: `Bearer ${password}` };
}

/** The route's dialect. */
export function dialectOfRoute(route: BodyRoute): Dialect {
  return dialectOfPath(routePath(route));
}

export function jsonRequest(route: BodyRoute, body: Buffer | string, ctx: CaseContext, headers: Record<string, string> = {}): RawRequest {
  const path = routePath(route);
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...authHeaders(dialectOfPath(path), ctx.password), ...headers },
    body,
  };
}

export const ALL = (): Expectation => ({ allow2xx: true, allow4xx: true });
export const FAIL = (mentions?: RegExp, statuses?: number[]): Expectation => ({ allow2xx: false, allow4xx: true, mentions, statuses });
export const PASS = (): Expectation => ({ allow2xx: true, allow4xx: false });

/** A regex that matches a message naming any of these keys, ignoring case and snake_case vs camelCase. */
export function namesAny(keys: string[]): RegExp {
  const alts = [...new Set(keys.map((k) => k.replace(/_/g, '').toLowerCase()))].map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(alts.join('|'), 'i');
}

export const NOT_OBJECT = /JSON object/;

/** Every body-taking route, with a valid body for it. */
export function validBodies(): Array<{ route: BodyRoute; body: Json; name: string }> {
  return ALL_TEMPLATES.flatMap((t) => t.routes.map((route) => ({ route, body: t.body, name: t.name })));
}

export const COMPRESSORS = {
  gzip: gzipSync,
  deflate: deflateSync,
  br: brotliCompressSync,
} as const;

