/**
 * Guards on a parsed JSON body that body-parser does not give: the bytes must be UTF-8 (RFC 8259 §8.1;
 * iconv would otherwise turn bad bytes into U+FFFD and forward corrupted text), and the nesting must stay
 * shallow enough for JSON.stringify and recursive translators (V8 parses 10,000 levels but cannot
 * stringify them), so a hostile body is a 400 instead of a crash blamed on the upstream.
 */
import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, Response } from 'express';
import { formatFieldPath } from '../../translate/zod-message.js';
import { ApiError } from '../errors.js';

/** Google's proto parsers stop at 100 levels too. */
export const MAX_JSON_DEPTH = 100;

export const NOT_UTF8_MESSAGE = 'request body is not valid UTF-8: JSON must be sent as UTF-8 text';

const TOO_DEEP = Symbol('rotor.jsonTooDeep');

/**
 * body-parser `verify` hook: rejects bytes that are not UTF-8 when the charset is (or defaults to) UTF-8,
 * and marks bodies that nest deeper than MAX_JSON_DEPTH (a byte scan, no allocation) so only those pay
 * for the walk that names the path.
 */
export function verifyUtf8(req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) {
    throw Object.assign(new Error(NOT_UTF8_MESSAGE), {
      status: 400,
      type: 'entity.invalid.utf8',
    });
  }
  if (maxNesting(buf) > MAX_JSON_DEPTH) (req as { [TOO_DEEP]?: boolean })[TOO_DEEP] = true;
}

/** Deepest `[`/`{` nesting in JSON bytes, skipping strings (any ASCII-compatible encoding). */
export function maxNesting(buf: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

interface DepthNode {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: DepthNode | undefined;
}

/**
 * The path (e.g. `['messages', 0, 'content', 0]`) of the first object or array nested deeper than `max`
 * levels, or undefined. Iterative, so it is safe on any depth.
 */
export function tooDeepAt(value: unknown, max: number): Array<string | number> | undefined {
  const stack: DepthNode[] = [{ value, depth: 1, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (v === null || typeof v !== 'object') continue;
    if (node.depth > max) {
      const path: Array<string | number> = [];
      for (let n: DepthNode | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
      return path;
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((c, i) => [i, c]) : Object.entries(v);
    for (const [key, child] of entries) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: node.depth + 1, key, parent: node });
    }
  }
  return undefined;
}

/** The 400 for a body nested deeper than `max`, naming where; undefined when it is fine. */
export function depthError(body: unknown, max = MAX_JSON_DEPTH): ApiError | undefined {
  const path = tooDeepAt(body, max);
  if (!path) return undefined;
  const where = formatFieldPath(path.slice(0, 8)) + (path.length > 8 ? '…' : '');
  return new ApiError(400, `request body is nested too deeply at ${where}: JSON objects and arrays may nest at most ${max} levels`);
}

export function limitJsonDepth(max = MAX_JSON_DEPTH) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (max === MAX_JSON_DEPTH && !(req as { [TOO_DEEP]?: boolean })[TOO_DEEP]) return next();
    next(depthError(req.body, max));
  };
}

/** The 413 both paths answer for a body over MAX_BODY_BYTES. */
export function bodyTooLarge(limit: number): ApiError {
  return new ApiError(413, `request body is larger than the limit of ${limit} bytes (MAX_BODY_BYTES)`);
}

/**
 * Refuses a body whose declared length is over the limit before a byte of it is read (body-parser would read
 * it all first, so a 1 GB upload, or a client that declares one and sends nothing, would hold the answer).
 * The connection is closed after the 413: the rest of the body is never read.
 */
export function rejectDeclaredOversize(maxBytes: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (Number(req.headers['content-length']) > maxBytes) {
      res.setHeader('Connection', 'close');
      next(bodyTooLarge(maxBytes));
      return;
    }
    next();
  };
}
