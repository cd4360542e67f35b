/**
 * Sends a built reply the way both model APIs do: one JSON response, an SSE stream (`alt=sse`: `data: <json>`
 * events separated by CRLF CRLF, no [DONE]), or, for a stream without alt=sse, one JSON array written element
 * by element as Google's REST streaming does. Events are written as they come due, never buffered.
 */
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { destroyAfterFlush, sendJson, sleep } from './http-io.js';
import type { ProtoObject } from './proto-json.js';
import { renderResponse, renderStream, type RenderMeta } from './reply-render.js';
import type { Reply } from './replies.js';

export interface ServeOptions {
  stream: boolean;
  /** `alt=sse`; a stream without it is answered as one JSON array. */
  sse: boolean;
  cutAfterEvents?: number;
}

export async function serveReply(
  ctx: SimContext,
  res: ServerResponse,
  reply: Reply,
  meta: RenderMeta,
  opts: ServeOptions,
  headers: Record<string, string> = {},
): Promise<void> {
  if (!opts.stream) return sendJson(res, 200, renderResponse(reply, meta), headers);
  const events = renderStream(reply, meta, ctx.streamEvents);
  const framing = opts.sse
    ? { contentType: 'text/event-stream', open: '', event: (e: ProtoObject) => `data: ${JSON.stringify(e)}\r\n\r\n`, between: '', close: '' }
    : // Google's layout without alt=sse: "[{…}\n,\r\n{…}\n]" (clients such as Portkey split on \r\n and trim "\n]").
      { contentType: 'application/json; charset=UTF-8', open: '[', event: (e: ProtoObject) => JSON.stringify(e), between: '\n,\r\n', close: '\n]' };
  await writeEvents(res, events, framing, ctx.streamIntervalMs, headers, opts.cutAfterEvents, () => ctx.state.eventWritten(res));
}

interface Framing {
  contentType: string;
  open: string;
  event: (e: ProtoObject) => string;
  between: string;
  close: string;
}

/**
 * Headers first, then each event as soon as it is due (`written` told after each, for the call log); `cutAfter`
 * destroys the socket mid-stream.
 */
async function writeEvents(
  res: ServerResponse,
  events: ProtoObject[],
  framing: Framing,
  intervalMs: number,
  headers: Record<string, string>,
  cutAfter?: number,
  written?: () => void,
): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, {
    'content-type': framing.contentType,
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...headers,
  });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  for (const [i, event] of events.entries()) {
    if (cutAfter !== undefined && i >= cutAfter) return destroyAfterFlush(res);
    if (i > 0) await sleep(intervalMs);
    if (res.destroyed || res.writableEnded) return;
    res.write(`${i === 0 ? framing.open : framing.between}${framing.event(event)}`);
    written?.();
  }
  if (cutAfter !== undefined && cutAfter >= events.length) {
    // A cut after the last event: the peer saw everything but never a clean end of the body.
    return destroyAfterFlush(res);
  }
  res.end(framing.close);
}
