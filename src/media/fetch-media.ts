/**
 * Fetches images, audio and files that clients pass by http(s) URL, so they can travel inline to Gemini.
 * Guarded because the URL comes from the client: a size cap, a timeout, a content-type check, and no
 * connections to loopback, private, link-local or other special addresses unless allowed. The address
 * check runs in the socket's DNS lookup, so a name that resolves differently later (DNS rebinding) is
 * still checked at connect time.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import type { CallSignal } from '../util/call-signal.js';
import { ClientAbortError } from '../upstream/types.js';

export interface MediaFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  allowPrivateNetworks: boolean;
}

export interface FetchedMedia {
  mimeType: string;
  data: string; // base64
}

export class MediaFetchError extends Error {
  override readonly name = 'MediaFetchError';
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96]] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
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

  async function fetchOne(url: string, client: CallSignal | undefined): Promise<FetchedMedia> {
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
    // Ends at the deadline, or as soon as the client that asked for it goes away.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onGone = () => controller.abort(new ClientAbortError());
    client?.addEventListener('abort', onGone);
    try {
      return await download(parsed, controller.signal);
    } catch (err) {
      if (client?.aborted) throw new ClientAbortError();
      throw err;
    } finally {
      clearTimeout(timer);
      client?.removeEventListener('abort', onGone);
    }
  }

  async function download(parsed: URL, signal: AbortSignal): Promise<FetchedMedia> {
    let res;
    try {
      res = await request(parsed, { dispatcher: agent, signal, headers: { accept: 'image/*,audio/*,video/*,application/pdf,text/*' } });
    } catch (err) {
      throw new MediaFetchError(`could not fetch ${parsed.origin}${parsed.pathname}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw new MediaFetchError(`fetching ${parsed.origin}${parsed.pathname} answered HTTP ${res.statusCode}`);
    }
    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!ALLOWED_TYPES.test(type)) {
      await res.body.dump().catch(() => {});
      throw new MediaFetchError(`${parsed.origin}${parsed.pathname} is ${type || 'of no declared type'}, not an image, audio, video, PDF or text`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await res.body.dump().catch(() => {});
      throw new MediaFetchError(`${parsed.origin}${parsed.pathname} is ${declared} bytes, over the ${options.maxBytes}-byte limit`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > options.maxBytes) {
          res.body.destroy();
          throw new MediaFetchError(`${parsed.origin}${parsed.pathname} is over the ${options.maxBytes}-byte limit`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof MediaFetchError) throw err;
      throw new MediaFetchError(`reading ${parsed.origin}${parsed.pathname} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { mimeType: type, data: Buffer.concat(chunks).toString('base64') };
  }

  return {
    /** Fetches every URL (in parallel, each deduplicated); the first failure rejects. */
    async fetchAll(urls: string[], signal?: CallSignal): Promise<Map<string, FetchedMedia>> {
      const unique = [...new Set(urls)];
      const results = await Promise.all(unique.map((url) => fetchOne(url, signal)));
      return new Map(unique.map((u, i) => [u, results[i]!]));
    },
    close: () => agent.close(),
  };
}
