import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJsonEvents } from '../../src/upstream/http-call.js';
import { openSse } from '../../src/sse/write.js';

async function* bytes(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const http = { timeoutMs: 1000, defaultRateCooldownMs: 1000, now: () => 0 };
const signal = new AbortController().signal;

describe('readJsonEvents (SSE framing and parsing)', () => {
  it('handles CRLF framing split at awkward boundaries', async () => {
    const events = await collect(readJsonEvents(bytes('data: {"a"', ':1}\r', '\n\r\ndata: {"b":2}\r\n', '\r\n'), signal, http));
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('joins multi-line data, skips comments and malformed chunks, and keeps a last event without its blank line', async () => {
    const events = await collect(readJsonEvents(bytes(': ping\n\ndata: {"x":\ndata: 1}\n\ndata: not json\n\nid: 3\ndata: {"t":true}'), signal, http));
    expect(events).toEqual([{ x: 1 }, { t: true }]);
  });

  it('decodes a multi-byte character split across chunks, and maps each event', async () => {
    const enc = new TextEncoder().encode('data: {"s":"héllo"}\n\n');
    async function* split() {
      yield enc.slice(0, 14);
      yield enc.slice(14);
    }
    expect(await collect(readJsonEvents(split(), signal, http, (v: { s: string }) => v.s))).toEqual(['héllo']);
  });

  it('turns an error event into a classified UpstreamError', async () => {
    const body = bytes('data: {"ok":1}\n\ndata: {"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}\n\n');
    await expect(collect(readJsonEvents(body, signal, http))).rejects.toMatchObject({ name: 'UpstreamError', status: 429, kind: 'rate' });
  });
});

describe('openSse', () => {
  it('sets SSE headers, frames newlines as several data lines, and refuses CR/LF in event names', async () => {
    const server = createServer((_req, res) => {
      const sse = openSse(res, { heartbeatMs: 0 });
      sse.send('one\ntwo');
      sse.send('{"x":1}', 'error');
      expect(() => sse.send('x', 'bad\nname')).toThrow();
      sse.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(await res.text()).toBe('data: one\ndata: two\n\nevent: error\ndata: {"x":1}\n\n');
    server.close();
  });
});
