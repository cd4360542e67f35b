/**
 * Fetches images, audio and files that clients pass by http(s) URL, so they can travel inline to Gemini.
 * Guarded because the URLs come from the client: per request a cap on how many (MEDIA_MAX_URLS, checked
 * before any download), on their total size (MEDIA_MAX_TOTAL_BYTES) and on downloads in flight; per URL a
 * size cap, a timeout and a content-type check; across requests a cap on downloads in flight; and no
 * connections to loopback, private, link-local or other special addresses unless allowed (address-guard.ts).
 * The address check runs in the socket's DNS lookup, so a name that resolves differently later (DNS
 * rebinding) is still checked at connect time.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import type { CallSignal } from '../util/call-signal.js';
import { mapWithConcurrency, Semaphore } from '../util/concurrency.js';
import { ClientAbortError } from '../upstream/types.js';
import { isPublicAddress } from './address-guard.js';
import { dropBody } from '../util/drop-body.js';

export { isPublicAddress } from './address-guard.js';

/** Downloads in flight for one request, by default. */
export const MEDIA_FETCH_CONCURRENCY = 4;
/** Downloads in flight across all requests one fetcher (one server) serves, by default. */
export const MEDIA_FETCH_GLOBAL_CONCURRENCY = 32;

export interface MediaFetchOptions {
  /** Largest single download in bytes (MEDIA_FETCH_MAX_BYTES). */
  maxBytes: number;
  /** Most URLs one request may name (MEDIA_MAX_URLS); more are refused before any download. */
  maxUrls: number;
  /** Most bytes one request's downloads may add up to (MEDIA_MAX_TOTAL_BYTES). */
  maxTotalBytes: number;
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  /** Downloads in flight for one request (default MEDIA_FETCH_CONCURRENCY). */
  concurrency?: number;
  /**
   * Downloads in flight across every request this fetcher serves (default MEDIA_FETCH_GLOBAL_CONCURRENCY).
   * A download waits for a slot until its client leaves; its timeout starts once it has one.
   */
  globalConcurrency?: number;
}

export interface FetchedMedia {
  mimeType: string;
  data: string; // base64
}

export class MediaFetchError extends Error {
  override readonly name = 'MediaFetchError';
}

/** One request's running total of downloaded bytes, against MEDIA_MAX_TOTAL_BYTES. */
interface Tally {
  bytes: number;
}

const ALLOWED_TYPES = /^(image|audio|video)\/|^application\/pdf$|^text\//;

export function createMediaFetcher(options: MediaFetchOptions) {
  const guardedLookup: LookupFunction = (hostname, opts, callback) => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => !isPublicAddress(a.address));
      if (bad && !options.allowPrivateNetworks) {
        return callback(new MediaFetchError(`refusing to fetch from a non-public address (${hostname})`), '', 0);
      }
      const first = list[0]!;
      if ((opts as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, first.address, first.family);
    });
  };
  const agent = new Agent({ connect: { lookup: guardedLookup, timeout: options.timeoutMs }, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });

  const slots = new Semaphore(options.globalConcurrency ?? MEDIA_FETCH_GLOBAL_CONCURRENCY);
  const perRequest = options.concurrency ?? MEDIA_FETCH_CONCURRENCY;

  /** The URL, checked before anything is fetched: http(s), and no literal non-public address. */
  function parseUrl(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MediaFetchError(`not a valid URL: ${url.slice(0, 100)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new MediaFetchError(`only http(s) URLs can be fetched, got ${parsed.protocol}`);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !isPublicAddress(host) && !options.allowPrivateNetworks) {
      throw new MediaFetchError(`refusing to fetch from a non-public address (${host})`);
    }
    return parsed;
  }

  /** One download, once it holds a slot: ends at its deadline, or as soon as `stop` aborts. */
  async function fetchOne(parsed: URL, copies: number, tally: Tally, stop: AbortSignal): Promise<FetchedMedia> {
    const controller = new AbortController();
    const where = `${parsed.origin}${parsed.pathname}`;
    const timer = setTimeout(() => controller.abort(new MediaFetchError(`${where} gave no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onStop = () => controller.abort(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    try {
      return await download(parsed, where, copies, tally, controller.signal);
    } catch (err) {
      // A download stopped by its deadline says so, whatever undici made of the abort.
      const reason: unknown = controller.signal.reason;
      throw controller.signal.aborted && reason instanceof MediaFetchError ? reason : err;
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
  }

  async function download(parsed: URL, where: string, copies: number, tally: Tally, signal: AbortSignal): Promise<FetchedMedia> {
    let res;
    try {
      res = await request(parsed, { dispatcher: agent, signal, headers: { accept: 'image/*,audio/*,video/*,application/pdf,text/*' } });
    } catch (err) {
      throw new MediaFetchError(`could not fetch ${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const refuse = async (message: string): Promise<never> => {
      await res.body.dump().catch(() => {});
      throw new MediaFetchError(message);
    };
    if (res.statusCode !== 200) return refuse(`fetching ${where} answered HTTP ${res.statusCode}`);
    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!ALLOWED_TYPES.test(type)) return refuse(`${where} is ${type || 'of no declared type'}, not an image, audio, video, PDF or text`);
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) return refuse(`${where} is ${declared} bytes, over the ${options.maxBytes}-byte limit`);
    if (Number.isFinite(declared) && tally.bytes + declared * copies > options.maxTotalBytes) return refuse(overTotal());
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        const bytes = (chunk as Buffer).length;
        size += bytes;
        if (size > options.maxBytes) throw new MediaFetchError(`${where} is over the ${options.maxBytes}-byte limit`);
        tally.bytes += bytes * copies;
        if (tally.bytes > options.maxTotalBytes) throw new MediaFetchError(overTotal());
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      dropBody(res.body);
      if (err instanceof MediaFetchError) throw err;
      throw new MediaFetchError(`reading ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { mimeType: type, data: Buffer.concat(chunks).toString('base64') };
  }

  function overTotal(): string {
    return `the media URLs of this request add up to more than ${options.maxTotalBytes} bytes (MEDIA_MAX_TOTAL_BYTES=${options.maxTotalBytes})`;
  }

  return {
    /**
     * Fetches every URL, each once, at most `concurrency` at a time (and `globalConcurrency` across
     * requests). More than `maxUrls` URLs (every entry counts, repeats too) are refused before any download.
     * A URL listed n times travels inline n times, so its bytes count n times against `maxTotalBytes`; past
     * that total every download of the request stops. The first failure rejects with a MediaFetchError;
     * a client that leaves gets ClientAbortError.
     */
    async fetchAll(urls: string[], signal?: CallSignal): Promise<Map<string, FetchedMedia>> {
      if (urls.length > options.maxUrls) {
        throw new MediaFetchError(`${urls.length} media URLs in one request, over the limit of ${options.maxUrls} (MEDIA_MAX_URLS=${options.maxUrls})`);
      }
      const copies = new Map<string, number>();
      for (const url of urls) copies.set(url, (copies.get(url) ?? 0) + 1);
      const unique = [...copies.keys()];
      const parsed = unique.map(parseUrl);
      const tally: Tally = { bytes: 0 };
      try {
        const results = await mapWithConcurrency(
          parsed,
          perRequest,
          (url, i, stop) => slots.use(() => fetchOne(url, copies.get(unique[i]!) ?? 1, tally, stop), stop),
          signal,
        );
        return new Map(unique.map((u, i) => [u, results[i]!]));
      } catch (err) {
        if (signal?.aborted) throw new ClientAbortError();
        throw err;
      }
    },
    close: () => agent.close(),
  };
}
