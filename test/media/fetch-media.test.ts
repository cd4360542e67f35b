/**
 * The media fetcher against a real local HTTP server: the per-request limits (count, total bytes), the
 * download concurrency per request and across requests, and cancellation. Loopback is reachable only with
 * allowPrivateNetworks, as here.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMediaFetcher, MEDIA_FETCH_CONCURRENCY, MediaFetchError, type MediaFetchOptions } from '../../src/media/fetch-media.js';
import { ClientSignal } from '../../src/util/call-signal.js';
import { ClientAbortError } from '../../src/upstream/types.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let origin: string;
let handler: Handler = (_req, res) => res.end();
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  hits = 0;
  server.closeAllConnections();
});

const PNG = Buffer.alloc(1000, 7);

function fetcher(options: Partial<MediaFetchOptions> = {}) {
  return createMediaFetcher({ maxBytes: 1024 * 1024, maxUrls: 16, maxTotalBytes: 10 * 1024 * 1024, timeoutMs: 10_000, allowPrivateNetworks: true, ...options });
}

function servePng(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length });
  res.end(PNG);
}

const urls = (n: number, path = 'img') => Array.from({ length: n }, (_, i) => `${origin}/${path}/${i}`);

/**
 * Client-side downloads in flight, from undici's diagnostics channels: a request counts from its creation
 * (synchronous with the call that starts it) until its response completes or fails.
 */
function watchInFlight() {
  let inFlight = 0;
  let max = 0;
  const mine = (m: unknown) => (m as { request: { origin: string } }).request.origin === origin;
  const created = (m: unknown) => {
    if (mine(m)) max = Math.max(max, ++inFlight);
  };
  const ended = (m: unknown) => {
    if (mine(m)) inFlight--;
  };
  subscribe('undici:request:create', created);
  subscribe('undici:request:trailers', ended);
  subscribe('undici:request:error', ended);
  return {
    max: () => max,
    stop() {
      unsubscribe('undici:request:create', created);
      unsubscribe('undici:request:trailers', ended);
      unsubscribe('undici:request:error', ended);
    },
  };
}

/**
 * Holds each request until `bound` are held (or all that are left of `total`), then answers them all: a
 * fetcher within the bound is driven to exactly the bound, one over it shows up in watchInFlight.
 */
function holdInWaves(bound: number, total: number): Handler {
  let held: ServerResponse[] = [];
  let answered = 0;
  return (_req, res) => {
    held.push(res);
    if (held.length < Math.min(bound, total - answered)) return;
    answered += held.length;
    for (const r of held) servePng(r);
    held = [];
  };
}

describe('fetchAll limits', () => {
  it('refuses more URLs than MEDIA_MAX_URLS before a single download', async () => {
    const media = fetcher({ maxUrls: 16 });
    handler = (_req, res) => servePng(res);
    const err = await media.fetchAll(urls(100)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaFetchError);
    expect((err as Error).message).toBe('100 media URLs in one request, over the limit of 16 (MEDIA_MAX_URLS=16)');
    expect(hits).toBe(0);
    await media.close();
  });

  it('fetches up to the limit, each distinct URL once, and counts repeats against the limit', async () => {
    const media = fetcher({ maxUrls: 4 });
    handler = (_req, res) => servePng(res);
    const [a, b] = urls(2);
    const got = await media.fetchAll([a!, b!, a!, b!]);
    expect([...got.keys()]).toEqual([a, b]);
    expect(got.get(a!)).toEqual({ mimeType: 'image/png', data: PNG.toString('base64') });
    expect(hits).toBe(2);
    await expect(media.fetchAll([a!, a!, a!, a!, a!])).rejects.toThrow('over the limit of 4 (MEDIA_MAX_URLS=4)');
    expect(hits).toBe(2);
    await media.close();
  });

  it('refuses a bad URL among good ones before any download', async () => {
    const media = fetcher();
    await expect(media.fetchAll([...urls(3), 'ftp://example.com/x.png'])).rejects.toThrow('only http(s) URLs can be fetched, got ftp:');
    expect(hits).toBe(0);
    await media.close();
  });

  it('stops every download of the request once their bytes add up past MEDIA_MAX_TOTAL_BYTES', async () => {
    const media = fetcher({ maxTotalBytes: 64 * 1024 });
    const closed: Promise<void>[] = [];
    const chunk = Buffer.alloc(16 * 1024, 1);
    const endless: ServerResponse[] = [];
    // Endless bodies without a declared length, written as fast as the client reads, once all four
    // requests are in: the limit then stops downloads under way and one still waiting for its headers.
    const pump = (res: ServerResponse) => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', () => pump(res));
    };
    handler = (req, res) => {
      closed.push(new Promise((resolve) => res.once('close', resolve)));
      if (req.url?.startsWith('/endless/')) endless.push(res);
      if (closed.length < 4) return;
      for (const r of endless) {
        r.writeHead(200, { 'content-type': 'image/png' });
        pump(r);
      }
    };
    const err = await media.fetchAll([...urls(3, 'endless'), `${origin}/silent/0`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaFetchError);
    expect((err as Error).message).toBe('the media URLs of this request add up to more than 65536 bytes (MEDIA_MAX_TOTAL_BYTES=65536)');
    // Every response, the silent one included, is closed by the client.
    await Promise.all(closed);
    await media.close();
  });

  it('refuses a download whose declared size is over what is left of the total, without reading it', async () => {
    const media = fetcher({ maxTotalBytes: 1500 });
    handler = (_req, res) => servePng(res);
    // Two copies of a 1000-byte image travel inline twice: 2000 bytes.
    const [a] = urls(1);
    await expect(media.fetchAll([a!, a!])).rejects.toThrow('(MEDIA_MAX_TOTAL_BYTES=1500)');
    expect((await media.fetchAll([a!])).size).toBe(1);
    await media.close();
  });
});

describe('fetchAll concurrency', () => {
  it(`downloads at most ${MEDIA_FETCH_CONCURRENCY} URLs of one request at a time`, async () => {
    const media = fetcher();
    const watch = watchInFlight();
    handler = holdInWaves(MEDIA_FETCH_CONCURRENCY, 10);
    const got = await media.fetchAll(urls(10));
    watch.stop();
    expect(got.size).toBe(10);
    expect(hits).toBe(10);
    expect(watch.max()).toBe(MEDIA_FETCH_CONCURRENCY);
    await media.close();
  });

  it('downloads at most globalConcurrency URLs across requests', async () => {
    const media = fetcher({ concurrency: 3, globalConcurrency: 4 });
    const watch = watchInFlight();
    handler = holdInWaves(4, 12);
    const [first, second] = await Promise.all([media.fetchAll(urls(6, 'a')), media.fetchAll(urls(6, 'b'))]);
    watch.stop();
    expect([first.size, second.size]).toEqual([6, 6]);
    expect(watch.max()).toBe(4);
    await media.close();
  });

  it('stops the downloads of a client that leaves, with ClientAbortError', async () => {
    const media = fetcher();
    const client = new ClientSignal();
    const closed: Promise<void>[] = [];
    let arrive!: () => void;
    const allArrived = new Promise<void>((resolve) => (arrive = resolve));
    handler = (_req, res) => {
      closed.push(new Promise((resolve) => res.once('close', resolve)));
      if (closed.length === 2) arrive();
    };
    const pending = media.fetchAll(urls(2), client);
    await allArrived;
    client.abort();
    await expect(pending).rejects.toBeInstanceOf(ClientAbortError);
    await Promise.all(closed);
    await media.close();
  });
});
