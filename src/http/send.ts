import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientAbortError } from '../upstream/types.js';
import { UpstreamError } from '../upstream/errors.js';
import { NoCredentialError } from '../dispatch/errors.js';
import type { Dialect } from '../translate/dialect.js';
import type { Logger } from '../util/log.js';
import { ApiError, errorReply } from './errors.js';
import { closeIfDraining } from '../util/draining.js';
import { isTranslationError } from '../translate/translation-error.js';
import { MediaFetchError } from '../media/fetch-media.js';

/** Writes a JSON reply. */
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
 * Answers an error in the route's dialect. A client that left, or a reply already under way, gets the socket
 * closed instead. A request whose body was not read to its end is answered with Connection: close (the rest
 * is never read). Only errors nobody anticipated (a 5xx that is not Google's or the pool's) are logged.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown, dialect: Dialect, logger: Logger): void {
  if (err instanceof ClientAbortError || res.destroyed || res.headersSent) return void res.destroy();
  const reply = errorReply(err, dialect);
  const anticipated =
    err instanceof ApiError || err instanceof UpstreamError || err instanceof NoCredentialError || isTranslationError(err) || err instanceof MediaFetchError;
  if (reply.status >= 500 && !anticipated) logger.error(`unhandled error on ${req.method} ${(req.url ?? '').split('?')[0]}: ${(err as Error)?.stack ?? String(err)}`);
  if (!req.complete) {
    res.setHeader('Connection', 'close');
    req.resume();
  }
  sendJson(res, reply.status, reply.body, reply.headers);
}
