/**
 * Reads a JSON request body, once, for every API route: a bounded size (declared and received, and after
 * decompression), `application/json` only (a cross-site form or a `text/plain` fetch cannot reach the API),
 * identity/gzip/deflate/br, UTF-8 (or UTF-16 when labelled so), valid JSON, and a bounded nesting depth so a
 * hostile body is a 400 instead of a crash in JSON.stringify or a recursive translator.
 */
import type { IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { formatFieldPath } from '../translate/zod-message.js';
import { ApiError } from './errors.js';

/** Google's proto parsers stop at 100 levels too. */
export const MAX_JSON_DEPTH = 100;

export const NOT_UTF8_MESSAGE = 'request body is not valid UTF-8: JSON must be sent as UTF-8 text';

/** The 413 for a body over MAX_BODY_BYTES. */
export function bodyTooLarge(limit: number): ApiError {
  return new ApiError(413, `request body is larger than the limit of ${limit} bytes (MAX_BODY_BYTES)`);
}

/** Whether a declared Content-Length is over the limit (then nothing is read and the connection is closed). */
export function declaredOversize(req: IncomingMessage, limit: number): boolean {
  return Number(req.headers['content-length']) > limit;
}

type Charset = 'utf-8' | 'utf-16le' | 'utf-16be';

/** The media type check and the charset to decode with; throws the 415 that says what to send. */
function contentType(req: IncomingMessage): Charset {
  const type = req.headers['content-type'];
  if (type === undefined || type === '') {
    throw new ApiError(415, 'missing Content-Type: send the JSON body with Content-Type: application/json');
  }
  const [media, ...params] = type.split(';');
  if (media!.trim().toLowerCase() !== 'application/json') {
    throw new ApiError(415, `unsupported Content-Type "${media!.trim().slice(0, 100)}": send the JSON body with Content-Type: application/json`);
  }
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(p);
    if (!m) continue;
    const cs = m[1]!.toLowerCase();
    if (cs === 'utf-8' || cs === 'utf8') return 'utf-8';
    if (cs === 'utf-16le' || cs === 'utf-16') return 'utf-16le';
    if (cs === 'utf-16be') return 'utf-16be';
    throw new ApiError(415, `unsupported charset "${m[1]!.slice(0, 40)}": JSON bodies must be UTF-8`);
  }
  return 'utf-8';
}

function decoder(req: IncomingMessage): Transform | undefined {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  throw new ApiError(415, `unsupported Content-Encoding "${encoding.slice(0, 40)}": send identity, gzip, deflate or br`);
}

/** The raw bytes, at most `limit` of them after decoding; an empty body reads as an empty buffer. */
function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const inflate = decoder(req);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: ApiError) => {
      if (settled) return;
      settled = true;
      inflate?.destroy();
      req.unpipe?.();
      req.resume(); // the rest is discarded; the reply says Connection: close
      reject(err);
    };
    const source: NodeJS.ReadableStream = inflate ? req.pipe(inflate) : req;
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) return fail(bodyTooLarge(limit));
      chunks.push(chunk);
    });
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    source.on('error', (err: Error & { code?: string }) => {
      if (inflate && source === inflate && /^(Z_|ERR__)/.test(err.code ?? '')) {
        return fail(new ApiError(400, `request body could not be decompressed as its Content-Encoding says: ${err.message}`));
      }
      fail(new ApiError(400, 'request body was not received completely'));
    });
    if (inflate) req.on('error', () => fail(new ApiError(400, 'request body was not received completely')));
  });
}

/**
 * The body as JSON. No body at all reads as `{}` (the route's schema then names what is missing); a body
 * needs `Content-Type: application/json`.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const empty = req.headers['content-length'] === '0' || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined);
  if (empty) {
    req.resume();
    return Promise.resolve({});
  }
  try {
    // Checked before reading, so a refused body is never buffered.
    const charset = contentType(req);
    return readBytes(req, limit).then((buf) => parseJsonBytes(buf, charset));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A body's bytes as JSON: UTF-8 (or the charset named), a BOM dropped, nesting bounded. */
function parseJsonBytes(buf: Buffer, charset: Charset): unknown {
  if (buf.length === 0) return {};
  let text: string;
  if (charset === 'utf-8') {
    if (!isUtf8(buf)) throw new ApiError(400, NOT_UTF8_MESSAGE);
    text = buf.toString('utf8');
  } else {
    text = new TextDecoder(charset).decode(buf);
  }
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
