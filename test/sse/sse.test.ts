import { describe, expect, it } from 'vitest';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJsonEvents } from '../../src/sse/read.js';
import { encodeSseFrame, openJsonArray, openSse } from '../../src/sse/write.js';
import { pipeStream } from '../../src/http/handlers/pipe-stream.js';
import type { GeminiResponse } from '../../src/types/gemini.js';
import type { StreamTranslator } from '../../src/translate/dialect.js';

async function* bytes(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readJsonEvents (SSE framing and parsing)', () => {
  it('handles CRLF framing split at awkward boundaries', async () => {
    const events = await collect(readJsonEvents(bytes('data: {"a"', ':1}\r', '\n\r\ndata: {"b":2}\r\n', '\r\n')));
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('joins multi-line data, skips comments and malformed chunks, and keeps a last event without its blank line', async () => {
    const events = await collect(readJsonEvents(bytes(': ping\n\ndata: {"x":\ndata: 1}\n\ndata: not json\n\nid: 3\ndata: {"t":true}')));
    expect(events).toEqual([{ x: 1 }, { t: true }]);
  });

  it('decodes a multi-byte character split across chunks, and maps each event', async () => {
    const enc = new TextEncoder().encode('data: {"s":"héllo"}\n\n');
    async function* split() {
      yield enc.slice(0, 14);
      yield enc.slice(14);
    }
    expect(await collect(readJsonEvents(split(), { map: (v: { s: string }) => v.s }))).toEqual(['héllo']);
  });

  it('throws the error the caller makes of an in-band error event, untouched by onFailure', async () => {
    const body = bytes('data: {"ok":1}\n\ndata: {"error":{"code":429}}\n\n');
    const inBand = new Error('in band');
    const hooks = { errorOf: (v: unknown) => ((v as { error?: unknown }).error ? inBand : undefined), onFailure: () => new Error('wrapped') };
    await expect(collect(readJsonEvents(body, hooks))).rejects.toBe(inBand);
  });
});

async function serve(handler: (res: import('node:http').ServerResponse) => void | Promise<void>) {
  const server = createServer((_req, res) => void handler(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('the frame writers', () => {
  it('SSE: sets the headers, frames newlines as several data lines, and refuses CR/LF in event names', async () => {
    const { server, url } = await serve((res) => {
      const sse = openSse(res, { heartbeatMs: 0 });
      sse.write([{ data: 'one\ntwo' }, { event: 'error', data: '{"x":1}' }]);
      expect(() => sse.write([{ event: 'bad\nname', data: 'x' }])).toThrow();
      sse.end();
    });
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(await res.text()).toBe('data: one\ndata: two\n\nevent: error\ndata: {"x":1}\n\n');
    server.close();
  });

  it("JSON array: Google's layout, element by element", async () => {
    const { server, url } = await serve((res) => {
      const out = openJsonArray(res);
      out.write([{ data: '{"a":1}' }]);
      out.write([{ data: '{"b":2}' }]);
      out.end();
    });
    const res = await fetch(url);
    expect(await res.text()).toBe('[{"a":1}\n,\r\n{"b":2}\n]');
    expect(JSON.parse('[{"a":1}\n,\r\n{"b":2}\n]')).toEqual([{ a: 1 }, { b: 2 }]);
    server.close();
  });

  it('encodes an event name and data', () => {
    expect(encodeSseFrame({ event: 'ping', data: '{"type":"ping"}' })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});

describe('pipeStream backpressure', () => {
  it('never reads the next upstream event while the client socket is full', async () => {
    const TOTAL = 300;
    const big = 'x'.repeat(64 * 1024);
    const needDrainAtRead: boolean[] = [];
    let response!: import('node:http').ServerResponse;
    let waited!: () => void;
    const firstWait = new Promise<void>((r) => (waited = r));
    let waits = 0;
    const chunk = (i: number): GeminiResponse => ({ responseId: String(i) });
    const translator: StreamTranslator = {
      signatures: [],
      chunk: (c) => [{ data: `{"i":${c.responseId},"pad":"${big}"}` }],
      finish: () => [{ data: '[DONE]' }],
      fail: () => [],
    };
    let i = 0;
    let piped!: () => void;
    const pipeDone = new Promise<void>((r) => (piped = r));
    const { server, url } = await serve(async (res) => {
      response = res;
      const rest: AsyncIterator<GeminiResponse> = {
        next: async () => {
          needDrainAtRead.push(response.writableNeedDrain);
          i++;
          return i < TOTAL ? { done: false, value: chunk(i) } : { done: true, value: undefined };
        },
      };
      await pipeStream(res, { first: chunk(0), rest, close: () => {} }, translator, {
        framing: 'sse',
        signatures: { lookup: async () => new Map(), remember: () => {} },
        onBackpressure: () => {
          waits++;
          waited();
        },
      });
      piped();
    });
    // A client that reads nothing until the pipe has had to wait for it.
    const res = await new Promise<IncomingMessage>((resolve) => request(url, resolve).end());
    res.pause();
    // Without backpressure the pipe would buffer all 19 MB and finish before the client read a byte.
    expect(await Promise.race([firstWait.then(() => 'waited'), pipeDone.then(() => 'finished')])).toBe('waited');
    const pulledWhenBlocked = i;
    expect(pulledWhenBlocked).toBeLessThan(TOTAL);
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (d: string) => (text += d));
    res.resume();
    await new Promise((r) => res.on('end', r));
    const ids = [...text.matchAll(/"i":(\d+)/g)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: TOTAL }, (_, k) => k));
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(waits).toBeGreaterThan(0);
    // The one rule: an upstream event is read only when the client can take more.
    expect(needDrainAtRead.every((full) => full === false)).toBe(true);
    server.close();
  });
});
