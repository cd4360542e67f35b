/**
 * The lean path for the two hot routes, POST /v1/chat/completions and POST /v1beta/models/{m}:generateContent
 * | :streamGenerateContent: the same auth, body checks, handlers and error replies as the express app, without
 * express's per-request machinery (about 0.2 ms of CPU a request on a 2-core box, measured in bench/).
 * Anything unusual — another route or method, a Content-Encoding, a non-UTF-8 charset — goes to express,
 * which stays the one full implementation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { Logger } from '../util/log.js';
import { ApiError, type Dialect } from './errors.js';
import { createAuthCheck } from './middleware/auth.js';
import { bodyTooLarge, depthError, maxNesting, MAX_JSON_DEPTH, NOT_UTF8_MESSAGE } from './middleware/json-body.js';
import { handleChatCompletions, type OpenAIRouteDeps } from './routes/openai.js';
import { handleModelCall, type GeminiRouteDeps } from './routes/gemini.js';
import { sendError, trackRequest } from './send.js';

export interface FastPathDeps extends OpenAIRouteDeps, GeminiRouteDeps {
  password: string | undefined;
  maxBodyBytes: number;
  logger: Logger;
  requestId(req: IncomingMessage): string;
}

type Route = { dialect: 'openai' } | { dialect: 'google'; target: string; alt: string | undefined; key: string | undefined };

const GEMINI_PATH = /^\/v1beta\/models\/([^/?#]+:(?:generateContent|streamGenerateContent))$/;

function matchRoute(req: IncomingMessage): Route | undefined {
  if (req.method !== 'POST') return undefined;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
  const type = req.headers['content-type'];
  if (type !== undefined && type !== 'application/json') {
    const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) return undefined;
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/v1/chat/completions') return { dialect: 'openai' };
  const m = GEMINI_PATH.exec(path);
  if (!m) return undefined;
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  return { dialect: 'google', target: decodeURIComponent(m[1]!), alt: params.get('alt') ?? undefined, key: params.get('key') ?? undefined };
}

/** Returns a handler that serves the request and answers true, or answers false and leaves it untouched. */
export function createFastPath(deps: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const auth = createAuthCheck(deps.password);
  const debug = deps.logger.enabled('debug');

  const fail = (res: ServerResponse, err: unknown, dialect: Dialect) => sendError(res, err, dialect, deps.logger, 'the fast path');

  return (req, res) => {
    let route: Route | undefined;
    try {
      route = matchRoute(req);
    } catch {
      return false; // a malformed percent-escape: express answers it
    }
    if (!route) return false;
    const matched = route;
    const dialect = route.dialect;
    trackRequest(req, res, deps.requestId(req), deps.logger, debug, ' (fast path)');

    const denied = auth(req.headers, route.dialect === 'google' ? route.key : undefined, dialect);
    if (denied) {
      req.resume();
      fail(res, denied, dialect);
      return true;
    }
    const declared = Number(req.headers['content-length']);
    if (declared > deps.maxBodyBytes) {
      res.setHeader('Connection', 'close');
      fail(res, bodyTooLarge(deps.maxBodyBytes), dialect);
      req.resume();
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > deps.maxBodyBytes) {
        over = true;
        res.setHeader('Connection', 'close');
        fail(res, bodyTooLarge(deps.maxBodyBytes), dialect);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (over) return;
      void serve(Buffer.concat(chunks, size)).catch((err: unknown) => fail(res, err, dialect));
    });
    return true;

    async function serve(buf: Buffer): Promise<void> {
      const body = parseJson(buf);
      if (matched.dialect === 'openai') return handleChatCompletions(deps, body, res);
      return handleModelCall(deps, matched.target, matched.alt, body, res);
    }
  };
}

/** The same checks as the express body parser: UTF-8, valid JSON (no body at all is {}), bounded nesting. */
function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) return {};
  if (!isUtf8(buf)) throw new ApiError(400, NOT_UTF8_MESSAGE);
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (maxNesting(buf) > MAX_JSON_DEPTH) {
    const tooDeep = depthError(body);
    if (tooDeep) throw tooDeep;
  }
  return body;
}
