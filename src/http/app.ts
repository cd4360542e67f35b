/**
 * createApp(deps): the only place express is assembled. Routes stay thin; every error, thrown or rejected
 * (express 5 forwards rejected promises), ends in one handler that answers in the route's dialect.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFastPath } from './fast-path.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Logger } from '../util/log.js';
import { ApiError, dialectOf } from './errors.js';
import { sendError, trackRequest } from './send.js';
import { requireAuth } from './middleware/auth.js';
import { limitJsonDepth, rejectDeclaredOversize, verifyUtf8 } from './middleware/json-body.js';
import { adminRoutes } from './routes/admin.js';
import { geminiRoutes } from './routes/gemini.js';
import { openaiRoutes, type OpenAIRouteDeps } from './routes/openai.js';
import type { SignatureCache } from '../gateway/signature-cache.js';

/** Request ids: the client's x-request-id, else a per-process prefix and a counter (unique, and free). */
export function createRequestIds(): (req: IncomingMessage) => string {
  const prefix = randomBytes(4).toString('hex');
  let seq = 0;
  return (req) => {
    const given = req.headers['x-request-id'];
    return (typeof given === 'string' && given.slice(0, 64)) || `${prefix}-${(++seq).toString(36)}`;
  };
}

/** The server's request handler: the fast path for the hot routes, express for everything else. */
export function createRequestHandler(deps: Omit<AppDeps, 'requestId'>): (req: IncomingMessage, res: ServerResponse) => void {
  const full = { ...deps, requestId: createRequestIds() };
  const app = createApp(full);
  const fast = createFastPath(full);
  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
}

export interface AppDeps {
  requestId: (req: IncomingMessage) => string;
  gateway: Gateway;
  logger: Logger;
  password: string | undefined;
  models: string[];
  maxBodyBytes: number;
  loadErrors: () => Array<{ source: string; reason: string }>;
  /** Thought signatures by tool-call id (Gemini 3 multi-turn tool use). */
  signatures: SignatureCache;
  /** Fetches http(s) media named in requests. */
  media: OpenAIRouteDeps['media'];
}

/** The lean path reads "charset=utf8" as UTF-8; so does express, so one request gets one answer on both. */
function utf8AliasAsUtf8(req: Request, _res: Response, next: NextFunction): void {
  const type = req.headers['content-type'];
  if (type !== undefined && /charset\s*=\s*"?utf8\b/i.test(type)) req.headers['content-type'] = type.replace(/(charset\s*=\s*"?)utf8/i, '$1utf-8');
  next();
}

/** Query strings parsed as on the lean path: the first of repeated parameters (?key=a&key=b) counts. */
function firstValues(query: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(parseQuery(query))) out[k] = Array.isArray(v) ? v[0]! : v!;
  return out;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', firstValues);

  const debug = deps.logger.enabled('debug');
  app.use((req, res, next) => {
    trackRequest(req, res, deps.requestId(req), deps.logger, debug);
    next();
  });

  app.use(adminRoutes({ gateway: deps.gateway, password: deps.password, loadErrors: deps.loadErrors }));
  app.use(['/v1', '/v1beta'], requireAuth(deps.password));
  // Any content type is read as JSON: clients that forget the header (curl -d) still work; bad JSON is a 400.
  app.use(rejectDeclaredOversize(deps.maxBodyBytes));
  app.use(utf8AliasAsUtf8);
  app.use(express.json({ limit: deps.maxBodyBytes, type: () => true, strict: false, verify: verifyUtf8 }));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.body === undefined) req.body = {}; // no body at all reads as {}, as on the lean path (a JSON null stays)
    next();
  });
  app.use(limitJsonDepth());
  app.use(openaiRoutes({ gateway: deps.gateway, models: deps.models, signatures: deps.signatures, media: deps.media }));
  app.use(geminiRoutes({ gateway: deps.gateway, models: deps.models, logger: deps.logger }));

  app.use((req: Request) => {
    throw new ApiError(404, `no route for ${req.method} ${req.path}`);
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(res, err, dialectOf(req), deps.logger, `${req.method} ${req.path}`);
  });

  return app;
}
