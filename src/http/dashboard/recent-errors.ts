/**
 * The last failures the dispatch loop reported, newest first, bounded: failed attempts (one credential's answer)
 * and failed requests (what the client got). The events carry no text; a failed attempt's reason is read from the
 * pool shortly after (the cooldown or disable it caused), redacted, or else said from its kind and status.
 */
import type { DispatchEvent } from '../../dispatch/events.js';
import type { MemberStatus } from '../../pool/types.js';

export interface RecentError {
  at: string;
  request_id: string;
  model: string;
  /** `attempt`: one credential failed (the request may have been served by another); `request`: the client got an error. */
  scope: 'attempt' | 'request';
  credential: string | null;
  /** HTTP status: Google's for an attempt (0: no answer), Rotor's for a request. */
  status: number | null;
  /** rate | quota | capacity | auth | permission | transient | invalid | not-found (attempts). */
  kind: string | null;
  /** Whether the credential was blamed (cooled or disabled); false: the request's own fault. */
  blamed: boolean | null;
  reason: string;
}

const KIND_TEXT: Record<string, string> = {
  rate: 'rate limited',
  quota: 'quota exhausted',
  capacity: 'no capacity for the model',
  auth: 'authentication failed',
  permission: 'permission denied',
  transient: 'server error, timeout or connection failure',
  invalid: 'the request was refused as invalid',
  'not-found': 'not found',
};

const REQUEST_TEXT: Record<string, string> = {
  '429': 'no credential had quota left for the model',
  '502': 'Google failed on every credential tried',
  '503': 'no credential could serve (cooling down, disabled or none)',
  '504': 'Google did not answer in time',
};

export function describeAttempt(kind: string | undefined, status: number | undefined, blamed: boolean | undefined): string {
  const what = (kind && KIND_TEXT[kind]) || 'failed';
  const code = status ? ` (HTTP ${status})` : status === 0 ? ' (no answer)' : '';
  return `${what}${code}${blamed === false ? '; not held against the credential' : ''}`;
}

export function describeRequest(error: string | undefined): string {
  if (!error) return 'failed';
  return REQUEST_TEXT[error] ?? (/^\d{3}$/.test(error) ? `answered HTTP ${error}` : error);
}

interface Entry extends RecentError {
  /** Waiting for the pool's reason (failed attempts that were blamed). */
  pending: boolean;
  atMs: number;
}

export class RecentErrors {
  private entries: Entry[] = [];

  constructor(private readonly max = 50) {}

  /** Records a failure event; true when it was one. */
  record(e: DispatchEvent, now: number): boolean {
    if (e.type === 'attempt' && e.outcome === 'error') {
      this.push({
        at: new Date(now).toISOString(), atMs: now, request_id: e.requestId, model: e.model, scope: 'attempt', credential: e.credential,
        status: e.status ?? null, kind: e.kind ?? null, blamed: e.blamed ?? null, reason: describeAttempt(e.kind, e.status, e.blamed), pending: e.blamed === true,
      });
      return true;
    }
    if (e.type === 'done' && e.outcome === 'error' && e.error !== 'client-abort') {
      const status = e.error !== undefined && /^\d{3}$/.test(e.error) ? Number(e.error) : null;
      this.push({
        at: new Date(now).toISOString(), atMs: now, request_id: e.requestId, model: e.model, scope: 'request', credential: e.credential ?? null,
        status, kind: null, blamed: null, reason: describeRequest(e.error), pending: false,
      });
      return true;
    }
    return false;
  }

  private push(entry: Entry): void {
    this.entries.unshift(entry);
    if (this.entries.length > this.max) this.entries.length = this.max;
  }

  get pending(): boolean {
    return this.entries.some((e) => e.pending);
  }

  /**
   * Fills in the reasons of blamed attempts from the pool's view (the cooldown or disable the failure caused),
   * redacted. Only for failures seen in the last few seconds: an older reason may belong to a later failure.
   */
  resolve(status: readonly MemberStatus[], redact: (t: string) => string, now: number): void {
    if (!this.pending) return;
    const byId = new Map(status.map((s) => [s.id, s]));
    for (const e of this.entries) {
      if (!e.pending) continue;
      e.pending = false;
      if (now - e.atMs > 5_000 || e.credential === null) continue;
      const s = byId.get(e.credential);
      const reason = s?.models[e.model]?.reason ?? s?.models['*']?.reason ?? (s && s.state !== 'available' ? s.reason : null);
      if (reason) e.reason = `${e.reason}: ${redact(reason)}`.slice(0, 500);
    }
  }

  list(): RecentError[] {
    return this.entries.map(({ pending: _p, atMs: _a, ...rest }) => rest);
  }
}
