/**
 * The wait queue: when every credential for a model is booked out or cooling down for its quota, a request
 * waits for the earliest one instead of failing — first come, first served, per model — up to MAX_QUEUE_WAIT_MS
 * and MAX_QUEUE_LENGTH. Only the head of a model's queue tries again (when its time comes, or when room
 * reappears); a request that gets a credential leaves and the next one tries at once. A client that leaves is
 * dropped from the queue.
 */
import { ClientAbortError } from '../upstream/types.js';
import type { CallSignal } from '../util/call-signal.js';
import { NoCredentialError } from './errors.js';

export interface QueueOptions {
  /** How long a request may wait in all (0: no queue). */
  maxWaitMs: number;
  /** How many requests may wait for one model. */
  maxLength: number;
  now?: () => number;
}

export interface QueueStats {
  model: string;
  waiting: number;
}

interface Waiter {
  wake: () => void;
}

export class Ticket {
  private waiter: Waiter | undefined;
  private left = false;

  constructor(
    private readonly queue: WaitQueue,
    readonly model: string,
    /** When the request stops waiting. */
    readonly deadline: number,
    private readonly line: Ticket[],
    private readonly signal: CallSignal,
  ) {}

  get isHead(): boolean {
    return this.line[0] === this;
  }

  /**
   * Waits until this ticket is at the head of its line and either `retryAt` has come or room reappeared.
   * Rejects with ClientAbortError when the client leaves (the ticket then leaves the line).
   */
  turn(retryAt: number): Promise<void> {
    if (this.signal.aborted) {
      this.leave();
      return Promise.reject(new ClientAbortError());
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (err?: Error) => {
        if (timer) clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => {
        done(new ClientAbortError());
        this.leave();
      };
      this.signal.addEventListener('abort', onAbort);
      const arm = () => {
        // The head waits for its time; the others to be woken when the ones ahead leave. All stop at the deadline.
        const until = this.isHead ? Math.min(retryAt, this.deadline) : this.deadline;
        timer = setTimeout(() => {
          const now = this.queue.now();
          if (now < this.deadline) {
            // The head's time has come; else a timer that fired a little early (timers and Date.now round differently).
            return this.isHead && now >= retryAt ? done() : arm();
          }
          this.leave();
          done(new NoCredentialError(`all credentials are booked out or cooling down for ${this.model}, and none freed within MAX_QUEUE_WAIT_MS`, 429, Math.max(0, retryAt - this.queue.now())));
        }, Math.min(Math.max(0, until - this.queue.now()), 2_147_483_647));
      };
      this.waiter = {
        wake: () => {
          if (timer) clearTimeout(timer);
          if (this.isHead) done();
          else arm();
        },
      };
      arm();
    });
  }

  /** Room may have appeared: the head tries now. */
  wake(): void {
    this.waiter?.wake();
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    const i = this.line.indexOf(this);
    if (i < 0) return;
    this.line.splice(i, 1);
    // The next in line becomes the head: it tries at once (room may be there for it too).
    if (i === 0) this.line[0]?.wake();
  }
}

export class WaitQueue {
  private readonly lines = new Map<string, Ticket[]>();
  /** model → requests that have joined its line since start (metrics). */
  private readonly joinedTotal = new Map<string, number>();
  readonly now: () => number;

  constructor(private readonly options: QueueOptions) {
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.maxWaitMs > 0;
  }

  /** Joins the model's line; a full line is a 429 at once. */
  join(model: string, signal: CallSignal, retryAfterMs: number | undefined): Ticket {
    let line = this.lines.get(model);
    if (!line) this.lines.set(model, (line = []));
    if (line.length >= this.options.maxLength) {
      throw new NoCredentialError(`all credentials are booked out for ${model} and ${line.length} requests already wait for them (MAX_QUEUE_LENGTH)`, 429, retryAfterMs, true, 'queue_full');
    }
    const ticket = new Ticket(this, model, this.now() + this.options.maxWaitMs, line, signal);
    line.push(ticket);
    this.joinedTotal.set(model, (this.joinedTotal.get(model) ?? 0) + 1);
    const lines = this.lines;
    const leave = ticket.leave.bind(ticket);
    ticket.leave = () => {
      leave();
      if (line.length === 0 && lines.get(model) === line) lines.delete(model);
    };
    return ticket;
  }

  /** Room reappeared for a model (a booking was taken back): its head tries now. */
  wake(model: string): void {
    this.lines.get(model)?.[0]?.wake();
  }

  stats(): QueueStats[] {
    return [...this.lines].map(([model, line]) => ({ model, waiting: line.length }));
  }

  /** model → how many requests have waited in its line since start (a counter, for metrics). */
  joined(): ReadonlyMap<string, number> {
    return this.joinedTotal;
  }
}
