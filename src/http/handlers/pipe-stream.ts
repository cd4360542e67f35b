/**
 * Writes an upstream stream to the client in its dialect, each event as it arrives. Backpressure end to end:
 * while the client's socket is full, the next upstream event is not read (undici then stops reading from
 * Google), so a slow client costs a socket buffer, not the whole answer in memory.
 */
import type { ServerResponse } from 'node:http';
import type { OpenedStream } from '../../upstream/types.js';
import type { Frame, StreamTranslator } from '../../translate/dialect.js';
import { openJsonArray, openSse, type FrameWriter } from '../../sse/write.js';
import type { SignatureCache } from '../../store/signature-cache.js';
import { normaliseError } from '../errors.js';

export interface PipeOptions {
  framing: 'sse' | 'json-array';
  heartbeat?: Frame;
  signatures: SignatureCache;
  /** Told each time the client's socket is full and the pipe waits (metrics, tests). */
  onBackpressure?: () => void;
}

/** When each stream's first frame was handed to the client's socket (performance.now()): time to first byte. */
const firstFrames = new WeakMap<ServerResponse, number>();

/** When the stream answering `res` wrote its first frame (performance.now()); undefined if it has not. */
export function firstFrameAt(res: ServerResponse): number | undefined {
  return firstFrames.get(res);
}

export async function pipeStream(res: ServerResponse, stream: OpenedStream, t: StreamTranslator, options: PipeOptions): Promise<void> {
  const out: FrameWriter = options.framing === 'sse' ? openSse(res, options.heartbeat ? { heartbeat: options.heartbeat } : {}) : openJsonArray(res);
  const keep = () => {
    if (t.signatures.length === 0) return;
    options.signatures.remember(t.signatures);
    t.signatures.length = 0;
  };
  try {
    let room = out.write(t.chunk(stream.first));
    firstFrames.set(res, performance.now());
    keep();
    for (;;) {
      if (!room) {
        if (out.closed) return;
        options.onBackpressure?.();
        await out.drained();
        if (out.closed) return;
      }
      const next = await stream.rest.next();
      if (next.done) break;
      room = out.write(t.chunk(next.value));
      keep();
    }
    out.write(t.finish());
    keep();
  } catch (err) {
    // Past the first byte there is no failover: the client gets the error in its dialect, then the end.
    if (!out.closed) out.write(t.fail(normaliseError(err)));
  } finally {
    stream.close();
    out.end();
  }
}
