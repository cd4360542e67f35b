/**
 * A tiny leveled logger. Every message passes through a redactor that masks known secrets by value and
 * anything shaped like a Google token or key, so a stray token in an error message never reaches the log.
 */
import { maskSecret } from './secrets.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Registers a secret value to be masked wherever it appears. */
  addSecret(value: string | undefined): void;
  /** Forgets a secret added once per add (a replaced token), so the set holds live secrets only. */
  dropSecret(value: string | undefined): void;
  /** Whether messages of this level are written (to skip building them on hot paths). */
  enabled(level: LogLevel): boolean;
  /**
   * The masking every log line gets (registered secrets, then token-shaped strings), for text shown to
   * clients instead of logged: a page or an error must not reveal what the log would hide.
   */
  redact(text: string): string;
}

const TOKEN_PATTERNS: RegExp[] = [
  /ya29\.[A-Za-z0-9._-]+/g, // OAuth access tokens
  /1\/\/[A-Za-z0-9._-]{10,}/g, // OAuth refresh tokens
  /AIza[A-Za-z0-9_-]{20,}/g, // API keys
  /GOCSPX-[A-Za-z0-9_-]+/g, // client secrets
  /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWTs (id tokens)
];

/** Secrets shorter than this are not masked by value (they would mask ordinary words). */
const MIN_SECRET = 8;

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stderr. Tests pass a collector. */
  sink?: (line: string) => void;
  json?: boolean;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const secrets = createSecretIndex();

  const redact = (text: string): string => {
    let out = secrets.mask(text);
    for (const re of TOKEN_PATTERNS) out = out.replace(re, (m) => maskSecret(m));
    return out;
  };

  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const time = new Date().toISOString();
    const body = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
    sink(redact(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${body}`));
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    enabled: (level) => ORDER[level] >= min,
    addSecret: (v) => secrets.add(v),
    dropSecret: (v) => secrets.drop(v),
    redact,
  };
}

/** A logger that drops everything (tests, benches). */
export const silentLogger: Logger = createLogger({ level: 'error', sink: () => {} });

/**
 * Known secrets, indexed by their last MIN_SECRET characters (a token's beginning is shared — every Google
 * access token starts "ya29.a0" — its end is random), so masking a line costs one lookup per character of
 * the line however many secrets there are: a pool of 10,000 credentials holds 30,000.
 * Counted: a secret added twice stays until dropped twice.
 */
function createSecretIndex() {
  const counts = new Map<string, number>();
  const bySuffix = new Map<string, string[]>();
  const keyOf = (value: string) => value.slice(-MIN_SECRET);
  return {
    add(value: string | undefined): void {
      if (!value || value.length < MIN_SECRET) return;
      const n = counts.get(value) ?? 0;
      counts.set(value, n + 1);
      if (n > 0) return;
      const list = bySuffix.get(keyOf(value));
      if (list) list.push(value);
      else bySuffix.set(keyOf(value), [value]);
    },
    drop(value: string | undefined): void {
      const n = value ? counts.get(value) : undefined;
      if (!value || n === undefined) return;
      if (n > 1) return void counts.set(value, n - 1);
      counts.delete(value);
      const rest = bySuffix.get(keyOf(value))!.filter((s) => s !== value);
      if (rest.length > 0) bySuffix.set(keyOf(value), rest);
      else bySuffix.delete(keyOf(value));
    },
    mask(text: string): string {
      if (counts.size === 0) return text;
      let hits: Array<[number, number]> | undefined;
      for (let end = MIN_SECRET; end <= text.length; end++) {
        const candidates = bySuffix.get(text.slice(end - MIN_SECRET, end));
        if (!candidates) continue;
        for (const s of candidates) {
          const start = end - s.length;
          if (start >= 0 && text.startsWith(s, start)) (hits ??= []).push([start, end]);
        }
      }
      if (!hits) return text;
      // Leftmost first, the longest of those that start together; a match inside one already masked is skipped.
      hits.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
      let out = '';
      let copied = 0;
      for (const [start, end] of hits) {
        if (start < copied) continue;
        out += text.slice(copied, start) + maskSecret(text.slice(start, end));
        copied = end;
      }
      return out + text.slice(copied);
    },
  };
}
