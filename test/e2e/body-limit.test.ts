/**
 * A body declared over MAX_BODY_BYTES is refused before it is read, on the lean path and on express alike:
 * the client declares a gigabyte, sends a few bytes, and gets its 413 (in the route's dialect) at once,
 * with the connection closed.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

function declareHuge(url: string, path: string, auth: Record<string, string>): Promise<{ status: number; connection: string | undefined; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = request(
      { host: u.hostname, port: u.port, method: 'POST', path, agent: false, headers: { ...auth, 'content-type': 'application/json', 'content-length': 1_000_000_000 } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      },
    );
    r.on('error', reject);
    r.write('{"model":'); // and nothing more: only an answer that does not wait for the body ends this
  });
}

describe('a body declared over the limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'big@example.com' }] });
  });
  afterAll(() => stack.close());

  it.each([
    ['/v1/chat/completions', 'openai'],
    ['/v1/embeddings', 'openai'],
    ['/v1beta/models/gemini-2.5-flash:generateContent', 'google'],
    ['/v1beta/models/gemini-2.5-flash:countTokens', 'google'],
  ])('%s answers 413 before reading it', async (path, dialect) => {
    const auth: Record<string, string> = dialect === 'google' ? { 'x-goog-api-key': stack.password! } : { authorization: `Bearer ${stack.password!}` };
    const r = await declareHuge(stack.rotor.url, path, auth);
    expect(r.status).toBe(413);
    expect(r.connection).toBe('close');
    const err = (JSON.parse(r.body) as { error: { message: string; status?: string; type?: string } }).error;
    expect(err.message).toMatch(/larger than the limit of \d+ bytes \(MAX_BODY_BYTES\)/);
    if (dialect === 'google') expect(err.status).toBe('INVALID_ARGUMENT');
    else expect(err.type).toBe('invalid_request_error');
  });
});
