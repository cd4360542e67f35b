/**
 * The route table's shape and its matcher. Paths match case-insensitively (as express did, so `/V1/models`
 * is `/v1/models`) with an optional trailing slash; captured segments keep the client's spelling and are
 * percent-decoded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dialect } from '../translate/dialect.js';
import type { ClientSignal } from '../util/call-signal.js';
import { ApiError } from './errors.js';

export type Method = 'GET' | 'POST' | 'DELETE';

/** One request on its way through the chain. */
export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** x-request-id: the client's, else Rotor's. */
  id: string;
  path: string;
  query: URLSearchParams;
  /** Captured path segments, decoded. */
  params: string[];
  /** The parsed JSON body (routes with `body: true`), else undefined. */
  body: unknown;
  dialect: Dialect;
  /** Fires when the client goes away before the answer is finished. */
  signal(): ClientSignal;
  /** What served it (set by generation handlers), for the request's log line. */
  served?: { credential: string; model: string };
  /** The access token that authenticated it (its name), when one did. */
  token?: string;
}

export interface ApiRoute {
  method: Method;
  /** An exact path, or a pattern whose groups are the params. */
  path: string | RegExp;
  dialect: Dialect;
  /** Who may call it: the API's clients (default), the operator (`admin`: the dashboard, /admin), or anyone (`none`). */
  auth?: 'api' | 'admin' | 'none';
  /** Read the JSON body before the handler (POST routes). */
  body?: boolean;
  handle(r: ApiRequest): Promise<void> | void;
}

export type Match = { route: ApiRoute; params: string[] } | { route: undefined; allowed: Method[] };

export interface Router {
  match(method: string, path: string): Match;
}

export function createRouter(routes: readonly ApiRoute[]): Router {
  const exact = new Map<string, ApiRoute[]>();
  const patterns: Array<{ re: RegExp; route: ApiRoute }> = [];
  for (const r of routes) {
    if (typeof r.path === 'string') {
      const key = r.path.toLowerCase();
      exact.set(key, [...(exact.get(key) ?? []), r]);
    } else patterns.push({ re: new RegExp(r.path.source, r.path.flags.includes('i') ? r.path.flags : r.path.flags + 'i'), route: r });
  }
  const matches = (route: ApiRoute, method: string) => route.method === method || (method === 'HEAD' && route.method === 'GET');

  return {
    match(method, rawPath) {
      const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
      const allowed: Method[] = [];
      const candidates = exact.get(path.toLowerCase());
      if (candidates) {
        for (const route of candidates) {
          if (matches(route, method)) return { route, params: [] };
          allowed.push(route.method);
        }
      }
      for (const { re, route } of patterns) {
        const m = re.exec(path);
        if (!m) continue;
        if (!matches(route, method)) {
          allowed.push(route.method);
          continue;
        }
        return { route, params: m.slice(1).map((s) => decodeSegment(s ?? '')) };
      }
      return { route: undefined, allowed };
    },
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, `could not decode the path segment "${segment.slice(0, 100)}": it is not valid percent-encoding`);
  }
}
