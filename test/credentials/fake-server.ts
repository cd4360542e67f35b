/** A tiny local HTTP server for the credential tests: records every call and answers through a handler. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as JSON, or as a form when it is urlencoded. */
  json: unknown;
  form: Record<string, string>;
}

export interface Reply {
  status?: number;
  body?: unknown;
  delayMs?: number;
}

export interface FakeServer {
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

export async function startFakeServer(handler: (call: RecordedCall, index: number) => Reply | Promise<Reply>): Promise<FakeServer> {
  const calls: RecordedCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const call: RecordedCall = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        form: Object.fromEntries(new URLSearchParams(body)),
      };
      const index = calls.push(call) - 1;
      void Promise.resolve(handler(call, index)).then(async (reply) => {
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A token endpoint that issues `ya29.fresh-token-<n>` for one hour. */
export function tokenReply(index: number, extra: Record<string, unknown> = {}): Reply {
  return {
    body: {
      access_token: `ya29.fresh-token-${index}`,
      expires_in: 3600,
      token_type: 'Bearer',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      ...extra,
    },
  };
}
