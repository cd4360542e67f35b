/**
 * A small in-memory session store for login mode. express-session's MemoryStore never prunes expired
 * sessions on its own and warns under NODE_ENV=production (the Docker image); this one drops expired
 * entries as it goes and keeps at most `max` sessions, evicting the oldest.
 */
import session, { type SessionData } from 'express-session';

export class BoundedMemoryStore extends session.Store {
  readonly #sessions = new Map<string, { json: string; expiresAt: number }>();

  constructor(
    private readonly max = 1000,
    private readonly defaultTtlMs = 30 * 60_000,
  ) {
    super();
  }

  /** Sessions held (expired ones included until the next write prunes them). */
  get size(): number {
    return this.#sessions.size;
  }

  #expiry(s: SessionData): number {
    const e = s.cookie?.expires;
    return e ? new Date(e).getTime() : Date.now() + this.defaultTtlMs;
  }

  #prune(): void {
    const now = Date.now();
    for (const [sid, entry] of this.#sessions) if (entry.expiresAt <= now) this.#sessions.delete(sid);
    // Maps iterate in insertion order, so the first keys are the oldest.
    for (const sid of this.#sessions.keys()) {
      if (this.#sessions.size <= this.max) break;
      this.#sessions.delete(sid);
    }
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    const entry = this.#sessions.get(sid);
    if (!entry || entry.expiresAt <= Date.now()) {
      this.#sessions.delete(sid);
      return callback(null, null);
    }
    callback(null, JSON.parse(entry.json) as SessionData);
  }

  override set(sid: string, s: SessionData, callback?: (err?: unknown) => void): void {
    this.#sessions.delete(sid);
    this.#sessions.set(sid, { json: JSON.stringify(s), expiresAt: this.#expiry(s) });
    this.#prune();
    callback?.();
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.#sessions.delete(sid);
    callback?.();
  }

  override touch(sid: string, s: SessionData, callback?: () => void): void {
    const entry = this.#sessions.get(sid);
    if (entry) entry.expiresAt = this.#expiry(s);
    callback?.();
  }
}
