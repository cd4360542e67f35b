/**
 * Writes a stream of frames to a client, one framing per dialect: server-sent events (`event:`/`data:` lines,
 * comment or named heartbeats while the upstream is silent) or Google's JSON-array layout. Each frame goes out
 * as it comes (no buffering), and the writer honours backpressure: `write` answers false while the client's
 * socket is full, and `drained()` resolves when it has room again (or the client left), so the caller stops
 * reading from Google instead of buffering the whole answer in memory.
 */
import type { ServerResponse } from 'node:http';
import { closeIfDraining } from '../util/draining.js';

/** One event a dialect sends: the data is already serialised (JSON, or a sentinel such as `[DONE]`). */
export interface Frame {
  event?: string;
  data: string;
}

export interface FrameWriter {
  /** Writes frames; false when the client's socket is full or the client is gone. */
  write(frames: readonly Frame[]): boolean;
  /** Resolves when the socket can take more, or the client left. */
  drained(): Promise<void>;
  end(): void;
  /** The client left or the stream ended. */
  readonly closed: boolean;
}

export interface SseOptions {
  /** Idle time before a heartbeat (default 15 s; 0 disables). */
  heartbeatMs?: number;
  /** The heartbeat to send (default an SSE comment). Anthropic clients expect `event: ping`. */
  heartbeat?: Frame;
}

/** `event: …` + `data: …` lines; a newline inside the data becomes several data lines. */
export function encodeSseFrame(frame: Frame): string {
  let text = '';
  if (frame.event !== undefined) {
    if (/[\r\n]/.test(frame.event)) throw new Error('SSE event name must not contain CR or LF');
    text = `event: ${frame.event}\n`;
  }
  const data = frame.data;
  // JSON.stringify output has no raw newlines: the common case is one data line.
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `${text}data: ${data}\n\n`;
  for (const line of data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return text + '\n';
}

/** The shared part of both framings: socket state, drain waits, and end. */
class Sink {
  private waiters: Array<() => void> | undefined;
  closed = false;

  constructor(readonly res: ServerResponse) {
    const wake = () => {
      const w = this.waiters;
      this.waiters = undefined;
      if (w) for (const f of w) f();
    };
    res.on('drain', wake);
    res.on('close', () => {
      this.closed = true;
      wake();
    });
  }

  put(text: string): boolean {
    if (this.closed || this.res.writableEnded) return false;
    return this.res.write(text);
  }

  drained(): Promise<void> {
    if (this.closed || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  get done(): boolean {
    return this.closed || this.res.writableEnded;
  }
}

export function openSse(res: ServerResponse, options: SseOptions = {}): FrameWriter {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  closeIfDraining(res);
  res.flushHeaders();
  const sink = new Sink(res);
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const beat = options.heartbeat ? encodeSseFrame(options.heartbeat) : ': keep-alive\n\n';
  let lastWrite = Date.now();
  // A heartbeat only when nothing was written for a while, and never into a full socket.
  const timer =
    heartbeatMs > 0
      ? setInterval(() => {
          if (Date.now() - lastWrite >= heartbeatMs && !res.writableNeedDrain) sink.put(beat);
        }, Math.max(1, Math.floor(heartbeatMs / 3)))
      : undefined;
  timer?.unref();
  const stop = () => timer && clearInterval(timer);
  res.on('close', stop);
  return {
    write(frames) {
      if (sink.done) return false;
      let text = '';
      for (const f of frames) text += encodeSseFrame(f);
      if (text === '') return !res.writableNeedDrain;
      lastWrite = Date.now();
      return sink.put(text);
    },
    drained: () => sink.drained(),
    end() {
      stop();
      if (!res.writableEnded) res.end();
    },
    get closed() {
      return sink.done;
    },
  };
}

/**
 * Google's stream layout without `alt=sse`: one JSON array written element by element, `[{…}\n,\r\n{…}\n]`,
 * which some clients (Portkey's google provider among them) split on \r\n rather than parse as JSON.
 */
export function openJsonArray(res: ServerResponse): FrameWriter {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  closeIfDraining(res);
  const sink = new Sink(res);
  let first = true;
  return {
    write(frames) {
      if (sink.done) return false;
      let text = '';
      for (const f of frames) {
        text += (first ? '[' : '\n,\r\n') + f.data;
        first = false;
      }
      if (text === '') return !res.writableNeedDrain;
      return sink.put(text);
    },
    drained: () => sink.drained(),
    end() {
      if (!res.writableEnded) res.end(first ? '[]' : '\n]');
    },
    get closed() {
      return sink.done;
    },
  };
}
