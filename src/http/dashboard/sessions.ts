/**
 * Dashboard sessions (with ADMIN_PASSWORD): a random id in an httpOnly, SameSite=Strict cookie, looked up in a
 * server-side map with an absolute lifetime and an idle timeout, bounded (the oldest session goes first). Each
 * session has its own CSRF token, rendered into the page and sent back in the `x-rotor-csrf` header on every
 * POST and DELETE; the guard (admin-access.ts) checks both.
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'rotor_admin';
export const CSRF_HEADER = 'x-rotor-csrf';

export interface Session {
  id: string;
  csrf: string;
  created: number;
  seen: number;
}

export interface AdminSessionsOptions {
  /** Absolute lifetime (default 12 h). */
  ttlMs?: number;
  /** Ends after this long unused (default 2 h). */
  idleMs?: number;
  /** Sessions kept at once (default 64); a new one beyond it ends the oldest. */
  max?: number;
  now?: () => number;
}

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether the request came over HTTPS to the edge (a tunnel or proxy says so): then the cookie is Secure. */
function viaHttps(req: IncomingMessage): boolean {
  const proto = req.headers['x-forwarded-proto'];
  return typeof proto === 'string' && proto.split(',')[0]!.trim().toLowerCase() === 'https';
}

export class AdminSessions {
  private readonly sessions = new Map<string, Session>();
  readonly ttlMs: number;
  private readonly idleMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: AdminSessionsOptions = {}) {
    this.ttlMs = options.ttlMs ?? 12 * 3_600_000;
    this.idleMs = options.idleMs ?? 2 * 3_600_000;
    this.max = options.max ?? 64;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  create(): Session {
    const t = this.now();
    for (const [id, s] of this.sessions) if (!this.alive(s, t)) this.sessions.delete(id);
    while (this.sessions.size >= this.max) this.sessions.delete(this.sessions.keys().next().value!);
    const s: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), created: t, seen: t };
    this.sessions.set(s.id, s);
    return s;
  }

  private alive(s: Session, t: number): boolean {
    return t - s.created < this.ttlMs && t - s.seen < this.idleMs;
  }

  /** The request's live session (and marks it used), or undefined. */
  get(req: IncomingMessage): Session | undefined {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id || id.length > 100) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (!this.alive(s, t)) {
      this.sessions.delete(id);
      return undefined;
    }
    s.seen = t;
    return s;
  }

  /** Whether the request carries a live session (the guard's `sessionOk`). */
  sessionOk = (req: IncomingMessage): boolean => this.get(req) !== undefined;

  /** Whether the request's `x-rotor-csrf` header is its session's CSRF token (the guard's `csrfOk`). */
  csrfOk = (req: IncomingMessage): boolean => {
    const s = this.get(req);
    const given = req.headers[CSRF_HEADER];
    return s !== undefined && typeof given === 'string' && sameText(given, s.csrf);
  };

  end(req: IncomingMessage): void {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
  }

  /** The Set-Cookie value that hands `s` to the browser. */
  cookie(s: Session, req: IncomingMessage): string {
    return `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(this.ttlMs / 1000)}${viaHttps(req) ? '; Secure' : ''}`;
  }

  /** The Set-Cookie value that removes the cookie. */
  clearCookie(req: IncomingMessage): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${viaHttps(req) ? '; Secure' : ''}`;
  }
}
