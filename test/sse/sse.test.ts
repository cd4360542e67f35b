import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSseData } from '../../src/sse/read.js';
import { openSse } from '../../src/sse/write.js';

async function* bytes(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readSseData', () => {
  it('handles CRLF framing split at awkward boundaries', async () => {
    const events = await collect(readSseData(bytes('data: {"a"', ':1}\r', '\n\r\ndata: {"b":2}\r\n', '\r\n')));
    expect(events).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('joins multi-line data, skips comments, and keeps a last event without its blank line', async () => {
    const events = await collect(readSseData(bytes(': ping\n\ndata: line1\ndata: line2\n\nid: 3\ndata: tail')));
    expect(events).toEqual(['line1\nline2', 'tail']);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const enc = new TextEncoder().encode('data: héllo\n\n');
    async function* split() {
      yield enc.slice(0, 8);
      yield enc.slice(8);
    }
    expect(await collect(readSseData(split()))).toEqual(['héllo']);
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
