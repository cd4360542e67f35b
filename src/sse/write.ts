/**
 * One SSE writer for every route: sets the headers, frames data safely (a newline inside the payload
 * becomes several data: lines), writes each event as it comes (no buffering) and sends comment heartbeats
 * while the upstream is silent so proxies and clients do not time out.
 */
import type { ServerResponse } from 'node:http';
import { closeIfDraining } from '../util/draining.js';

export interface SseWriter {
  /** Writes one event; returns false when the client is gone. */
  send(data: string, event?: string): boolean;
  end(): void;
  readonly closed: boolean;
}

export function openSse(res: ServerResponse, options: { heartbeatMs?: number } = {}): SseWriter {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  closeIfDraining(res);
  res.flushHeaders();
  let closed = false;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const timer = heartbeatMs > 0 ? setInterval(() => !closed && res.write(': keep-alive\n\n'), heartbeatMs) : undefined;
  timer?.unref();
  const finish = () => {
    closed = true;
    if (timer) clearInterval(timer);
  };
  res.on('close', finish);
  return {
    send(data, event) {
      if (closed || res.writableEnded) return false;
      if (event !== undefined && /[\r\n]/.test(event)) throw new Error('SSE event name must not contain CR or LF');
      let frame = event ? `event: ${event}\n` : '';
      // JSON.stringify output has no raw newlines: the common case is one data line.
      if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) frame += `data: ${data}\n\n`;
      else {
        for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
        frame += '\n';
      }
      res.write(frame);
      return true;
    },
    end() {
      finish();
      if (!res.writableEnded) res.end();
    },
    get closed() {
      return closed || res.writableEnded;
    },
  };
}
