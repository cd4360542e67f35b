/**
 * Small node:http helpers: read a bounded body, answer JSON / rpc errors, parse forms and bearer tokens.
 * Plain node:http keeps the simulator cheap, so benchmarks measure Rotor rather than the fake.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcError } from './rpc-errors.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** For bodies assembled from cached JSON text (embeddings), so they are not serialised again. */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendRpc(res: ServerResponse, err: RpcError): void {
  sendJson(res, err.httpStatus, err.body, err.headers);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/** JSON.parse with Google's wording for a body that is not JSON. */
export function parseJsonBody(text: string): JsonParse {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'Unexpected token.';
    return { ok: false, message: `Invalid JSON payload received. ${detail}` };
  }
}

/** Form or JSON body into a flat string map (the OAuth token endpoint accepts both). */
export function parseParams(text: string, contentType: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if ((contentType ?? '').includes('json')) {
    const parsed = parseJsonBody(text);
    if (parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value)) {
      for (const [k, v] of Object.entries(parsed.value)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      }
    }
    return out;
  }
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers['authorization'];
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const closedOnPurpose = new WeakSet<ServerResponse>();

/** Drops the connection without a reply (fault injection); not counted as a client abort. */
export function destroyOnPurpose(res: ServerResponse): void {
  closedOnPurpose.add(res);
  res.socket?.destroy();
  res.destroy();
}

/** Like destroyOnPurpose, but only once what was written has left (node corks response writes for a tick). */
export async function destroyAfterFlush(res: ServerResponse): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const socket = res.socket;
  if (socket && !socket.destroyed && socket.writableLength > 0) {
    await new Promise((resolve) => {
      socket.once('drain', resolve);
      socket.once('close', resolve);
    });
  }
  destroyOnPurpose(res);
}

export function wasClosedOnPurpose(res: ServerResponse): boolean {
  return closedOnPurpose.has(res);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}
