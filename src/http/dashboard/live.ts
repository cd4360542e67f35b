/**
 * The dashboard's live side: listens to the dispatch events (requests per minute, recent failures) and to the
 * state store's changes (cooldowns, disables, from this instance or another), and sends snapshots to the pages
 * watching over SSE (`GET /admin/events`): one at once, one shortly after each change, and one every few seconds.
 * A snapshot is built once per push and shared by every watcher; a watcher whose socket is full skips pushes
 * (each snapshot is whole, so nothing is lost but a frame). Watchers are bounded.
 */
import type { ServerResponse } from 'node:http';
import type { DispatchEvent, DispatchEvents } from '../../dispatch/events.js';
import { closeIfDraining } from '../../util/draining.js';
import { RecentErrors } from './recent-errors.js';
import { RequestSeries } from './series.js';
import { buildSnapshot, type Snapshot, type SnapshotSources, type TokenRow } from './snapshot.js';

export interface LiveOptions extends SnapshotSources {
  events: DispatchEvents;
  /** A snapshot every this often while someone watches (default 5 s). */
  intervalMs?: number;
  /** A snapshot this soon after a change (default 250 ms; changes within it share one). */
  changeDelayMs?: number;
  /** Pages watching at once (default 16); one more is answered 503. */
  maxWatchers?: number;
  /** Recent failures kept (default 50). */
  maxErrors?: number;
}

interface Watcher {
  res: ServerResponse;
  /** The last write found the socket full: skip pushes until it drains. */
  full: boolean;
}

/** The access token a request used, when the dispatch events carry it (the token feature adds `token`). */
function tokenOf(e: DispatchEvent): string | undefined {
  const t = (e as { token?: unknown }).token;
  return typeof t === 'string' && t !== '' ? t : undefined;
}

export class DashboardLive {
  readonly series: RequestSeries;
  readonly errors: RecentErrors;
  /** Masks secrets in text shown on the page (the logger's redaction). */
  readonly redact: (text: string) => string;
  private readonly watchers = new Set<Watcher>();
  private readonly offEvents: () => void;
  private readonly offStore: () => void;
  private changeTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private resolveTimer: NodeJS.Timeout | undefined;
  private building: Promise<Snapshot> | undefined;
  private closed = false;

  constructor(private readonly options: LiveOptions) {
    const now = () => options.clock.now();
    this.redact = options.redact;
    this.series = new RequestSeries(now);
    this.errors = new RecentErrors(options.maxErrors ?? 50);
    this.offEvents = options.events.on((e) => this.onEvent(e));
    this.offStore = options.store.subscribe((c) => {
      // Thought signatures come and go with every tool call; nothing on the page shows them.
      if (!(c.type === 'kv' && c.ns === 'sig')) this.changed();
    });
  }

  private onEvent(e: DispatchEvent): void {
    const now = this.options.clock.now();
    if (e.type === 'done') {
      this.series.record(e.model, tokenOf(e), now);
      this.changed();
    }
    if (this.errors.record(e, now)) {
      // The pool learns from the failure right after the event: read its reason a moment later.
      this.resolveTimer ??= setTimeout(() => {
        this.resolveTimer = undefined;
        this.resolveReasons();
      }, 50);
      this.resolveTimer.unref();
      this.changed();
    }
  }

  private resolveReasons(): void {
    if (this.errors.pending) this.errors.resolve(this.options.pool.status().credentials, this.options.redact, this.options.clock.now());
  }

  /** The current snapshot (concurrent callers share one build). */
  snapshot(): Promise<Snapshot> {
    this.building ??= (async () => {
      try {
        this.resolveReasons();
        return await buildSnapshot(this.options, { errors: this.errors.list(), series: this.series.view() });
      } finally {
        this.building = undefined;
      }
    })();
    return this.building;
  }

  get watching(): number {
    return this.watchers.size;
  }

  /**
   * Starts an SSE stream on `res` (its first event is a snapshot); false when too many pages watch already
   * (nothing was written).
   */
  watch(res: ServerResponse): boolean {
    if (this.closed || this.watchers.size >= (this.options.maxWatchers ?? 16)) return false;
    const w: Watcher = { res, full: false };
    this.watchers.add(w);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    closeIfDraining(res);
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const drop = () => {
      this.watchers.delete(w);
      if (this.watchers.size === 0) this.stopTicking();
    };
    res.on('close', drop);
    res.on('drain', () => (w.full = false));
    void this.snapshot().then((s) => this.send(w, frame(s)), () => undefined);
    this.startTicking();
    return true;
  }

  private send(w: Watcher, text: string): void {
    if (w.full || w.res.destroyed || w.res.writableEnded) return;
    if (!w.res.write(text)) w.full = true;
  }

  /** Something changed: push soon (changes close together share one snapshot). */
  private changed(): void {
    if (this.watchers.size === 0 || this.changeTimer || this.closed) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      void this.push();
    }, this.options.changeDelayMs ?? 250);
    this.changeTimer.unref();
  }

  private async push(): Promise<void> {
    if (this.watchers.size === 0 || this.closed) return;
    let text: string;
    try {
      text = frame(await this.snapshot());
    } catch {
      return; // the store is away; the next tick tries again
    }
    for (const w of this.watchers) this.send(w, text);
  }

  private startTicking(): void {
    if (this.tickTimer) return;
    this.tickTimer = setInterval(() => void this.push(), this.options.intervalMs ?? 5_000);
    this.tickTimer.unref();
  }

  private stopTicking(): void {
    clearInterval(this.tickTimer);
    this.tickTimer = undefined;
  }

  /** Ends every stream and stops listening (the server is shutting down). */
  close(): void {
    this.closed = true;
    this.offEvents();
    this.offStore();
    clearTimeout(this.changeTimer);
    clearTimeout(this.resolveTimer);
    this.stopTicking();
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }
}

function frame(s: Snapshot): string {
  return `event: snapshot\ndata: ${JSON.stringify(s)}\n\n`;
}
