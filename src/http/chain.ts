/**
 * The one chain every API route runs through, written once:
 *   request id → route → access (password, or loopback-only when open) → body (size, type, encoding, charset,
 *   JSON, depth) → handler → errors in the route's dialect.
 * Plain node:http: express's per-request machinery cost about 0.2 ms of CPU a request (bench/), and nothing
 * here needs it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Dialect } from '../translate/dialect.js';
import type { Logger } from '../util/log.js';
import type { AccessCheck } from './access.js';
import type { AdminCheck } from './admin-access.js';
import { bodyTooLarge, declaredOversize, readJsonBody } from './body.js';
import { ApiError } from './errors.js';
import { clientAbortSignal } from './client-signal.js';
import { createRouter, type ApiRequest, type ApiRoute } from './router.js';
import { sendError } from './send.js';
import { firstFrameAt } from './handlers/pipe-stream.js';

/** How a request ended, for the chain's observer (metrics). */
export interface RequestEnd {
  /** The route that matched; undefined when none did. */
  route: ApiRoute | undefined;
  /** The status sent; 499 when the client left before the answer was complete. */
  status: number;
  /** performance.now() when the request arrived. */
  started: number;
  /** performance.now() when a stream's first frame was written; undefined for other answers. */
  firstFrame: number | undefined;
}

/** A request in the chain: the route it matched, once it has. */
type ChainRequest = ApiRequest & { route?: ApiRoute };

export interface ChainDeps {
  routes: readonly ApiRoute[];
  access: AccessCheck;
  /** The dashboard's and /admin's own check (loopback only, or ADMIN_PASSWORD). */
  adminAccess: AdminCheck;
  maxBodyBytes: number;
  logger: Logger;
  /** The dialect of a path no route matches (its errors are answered in it). */
  dialectFor(path: string): Dialect;
  /** Paths under these prefixes are the API: a request there is authenticated before it learns a route is unknown. */
  apiPrefixes: RegExp;
  /** Told when each request has ended (the client got its answer, or left): metrics. */
  onRequestEnd?: (r: ApiRequest, end: RequestEnd) => void;
}

/** Request ids: the client's x-request-id, else a per-process prefix and a counter (unique, and free). */
export function createRequestIds(): (req: IncomingMessage) => string {
  const prefix = randomBytes(4).toString('hex');
  let seq = 0;
  return (req) => {
    const given = req.headers['x-request-id'];
    // Only what a header can carry back: the id is echoed in the reply.
    return (typeof given === 'string' && /^[\x21-\x7e]{1,64}$/.test(given) && given) || `${prefix}-${(++seq).toString(36)}`;
  };
}

const NO_QUERY = new URLSearchParams();

/** The chain's request listener, and when its handlers have all ended. */
export interface Chain {
  (req: IncomingMessage, res: ServerResponse): void;
  /**
   * Resolves once no request's handler is running. A handler can outlive its response: a client that leaves
   * closes the response at once, and the handler ends when it notices (a download or a call aborted). Shutdown
   * waits for this before the last write of the state, and tests for "nothing more will happen".
   */
  idle(): Promise<void>;
}

export function createChain(deps: ChainDeps): Chain {
  const router = createRouter(deps.routes);
  const requestId = createRequestIds();
  const { logger, access } = deps;
  const accessLog = logger.enabled('info');
  const onEnd = deps.onRequestEnd;

  async function serve(req: IncomingMessage, res: ServerResponse, r: ChainRequest): Promise<void> {
    const match = router.match(req.method ?? 'GET', r.path);
    if (!match.route) {
      const api = deps.apiPrefixes.test(r.path);
      if (api) {
        const denied = access(req, r.dialect, r.query, r);
        if (denied) throw denied;
      }
      if (match.allowed.length === 0) throw new ApiError(404, `no route for ${req.method} ${r.path}`);
      const allow = [...new Set([...match.allowed, ...(match.allowed.includes('GET') ? ['HEAD'] : [])])].join(', ');
      if (req.method === 'OPTIONS') {
        res.statusCode = 204;
        res.setHeader('Allow', allow);
        req.resume();
        return void res.end();
      }
      throw new ApiError(405, `no route for ${req.method} ${r.path} (it answers ${allow})`, undefined, undefined, { allow });
    }
    const route = match.route;
    r.route = route;
    r.params = match.params;
    r.dialect = route.dialect;
    if (route.auth !== 'none') {
      const denied = route.auth === 'admin' ? deps.adminAccess(req) : access(req, route.dialect, r.query, r);
      if (denied) throw denied;
    }
    if (declaredOversize(req, deps.maxBodyBytes)) throw bodyTooLarge(deps.maxBodyBytes);
    if (route.body) r.body = await readJsonBody(req, deps.maxBodyBytes);
    else req.resume();
    await route.handle(r);
  }

  let running = 0;
  let idleWaiters: Array<() => void> = [];
  const ended = () => {
    if (--running > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };

  const chain = (req: IncomingMessage, res: ServerResponse): void => {
    const id = requestId(req);
    res.setHeader('x-request-id', id);
    // Node stops reading a connection after an Upgrade request: whatever the answer, the connection must close.
    if (req.headers.upgrade !== undefined) res.setHeader('Connection', 'close');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    let signal: ReturnType<typeof clientAbortSignal> | undefined;
    const r: ChainRequest = {
      req,
      res,
      id,
      path,
      // get() answers the first of repeated parameters (?key=a&key=b is a).
      query: q === -1 ? NO_QUERY : new URLSearchParams(url.slice(q + 1)),
      params: [],
      body: undefined,
      dialect: deps.dialectFor(path),
      signal: () => (signal ??= clientAbortSignal(res)),
      route: undefined,
    };
    const started = onEnd || accessLog ? performance.now() : 0;
    // One listener a request: the observers, then the client's signal (a client that left aborts its upstream call).
    res.on('close', () => {
      const status = res.writableFinished ? res.statusCode : 499;
      if (onEnd) {
        try {
          onEnd(r, { route: r.route, status, started, firstFrame: firstFrameAt(res) });
        } catch {
          /* an observer's bug must not crash the server */
        }
      }
      if (accessLog) {
        // One line a request: the path only (a query may carry ?key=<password>), what served it, never a secret.
        const line: Record<string, string | number> = { req: id, method: req.method ?? '', path, status, ms: Math.round((performance.now() - started) * 100) / 100 };
        if (r.served) {
          line.credential = r.served.credential;
          line.model = r.served.model;
        }
        if (r.token) line.token = r.token;
        logger.access(line);
      }
      if (signal && !res.writableFinished) signal.abort();
    });
    running++;
    serve(req, res, r).then(ended, (err: unknown) => {
      ended();
      sendError(req, res, err, r.dialect, logger);
    });
  };
  return Object.assign(chain, {
    idle: () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
  });
}
