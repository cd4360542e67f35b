import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientAbortError } from '../upstream/types.js';
import { UpstreamError } from '../upstream/errors.js';
import { NoCredentialError } from '../pool/failover.js';
import type { Logger } from '../util/log.js';
import { ApiError, errorReply, type Dialect } from './errors.js';
import { closeIfDraining } from '../util/draining.js';

/** Writes a JSON reply without express, so handlers run the same behind express and the fast path. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const k in headers) res.setHeader(k, headers[k]!);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  closeIfDraining(res);
  res.end(text);
}

/**
 * Answers an error in the route's dialect; the one place both the express app and the fast path end.
 * A client that left, or a reply already under way, gets the socket closed instead. Only errors nobody
 * anticipated (a 5xx that is not Google's or the pool's) are logged, with their stack.
 */
export function sendError(res: ServerResponse, err: unknown, dialect: Dialect, logger: Logger, where: string): void {
  if (err instanceof ClientAbortError || res.destroyed || res.headersSent) return void res.destroy();
  const reply = errorReply(err, dialect);
  const anticipated = err instanceof ApiError || err instanceof UpstreamError || err instanceof NoCredentialError;
  if (reply.status >= 500 && !anticipated) logger.error(`unhandled error on ${where}: ${(err as Error)?.stack ?? String(err)}`);
  sendJson(res, reply.status, reply.body, reply.headers);
}

/** Sets the request id and, at debug level, logs the request when its reply is finished. */
export function trackRequest(req: IncomingMessage, res: ServerResponse, requestId: string, logger: Logger, debug: boolean, label = ''): void {
  res.setHeader('x-request-id', requestId);
  if (!debug) return;
  const started = process.hrtime.bigint();
  // The path only: a query may carry ?key=<password>.
  const path = (req.url ?? '').split('?')[0];
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logger.debug(`${req.method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms${label}`, { id: requestId });
  });
}
