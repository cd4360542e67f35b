/**
 * A raw HTTP client for tests that must control every byte: no SDK, no fetch normalisation, a fresh
 * connection per request, and a hard deadline so that a server that hangs fails the test instead of it.
 */
import { request } from 'node:http';

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string | number | undefined>;
  body?: Buffer | string;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length), split into this many writes. */
  chunks?: number;
}

export type RawResult =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; ms: number }
  | { ok: false; error: string; ms: number; timedOut: boolean };

export async function rawRequest(baseUrl: string, req: RawRequest, timeoutMs: number): Promise<RawResult> {
  const url = new URL(baseUrl);
  const started = Date.now();
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined) headers[k] = v;
  if (body !== undefined && req.chunks === undefined && !hasHeader(headers, 'content-length')) headers['content-length'] = body.length;
  if (req.chunks !== undefined) headers['transfer-encoding'] = 'chunked';

  return new Promise<RawResult>((resolve) => {
    let settled = false;
    const finish = (r: RawResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const r = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false, insecureHTTPParser: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          finish({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), ms: Date.now() - started }),
        );
        res.on('error', (err) => finish({ ok: false, error: `response: ${err.message}`, ms: Date.now() - started, timedOut: false }));
        res.on('aborted', () => finish({ ok: false, error: 'response aborted', ms: Date.now() - started, timedOut: false }));
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, error: `no complete answer within ${timeoutMs} ms`, ms: Date.now() - started, timedOut: true });
      r.destroy();
    }, timeoutMs);
    // The server may answer (413, 401…) and close before the whole body is written; the answer still counts.
    r.on('error', (err) => {
      setTimeout(() => finish({ ok: false, error: `request: ${err.message}`, ms: Date.now() - started, timedOut: false }), 50);
    });
    if (body === undefined) return void r.end();
    if (req.chunks === undefined) return void r.end(body);
    const n = Math.max(1, req.chunks);
    const size = Math.ceil(body.length / n) || 1;
    for (let i = 0; i < body.length; i += size) r.write(body.subarray(i, i + size));
    r.end();
  });
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
