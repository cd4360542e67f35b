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
  /** Whether messages of this level are written (to skip building them on hot paths). */
  enabled(level: LogLevel): boolean;
}

const TOKEN_PATTERNS: RegExp[] = [
  /ya29\.[A-Za-z0-9._-]+/g, // OAuth access tokens
  /1\/\/[A-Za-z0-9._-]{10,}/g, // OAuth refresh tokens
  /AIza[A-Za-z0-9_-]{20,}/g, // API keys
  /GOCSPX-[A-Za-z0-9_-]+/g, // client secrets
];

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
  const secrets = new Set<string>();

  const redact = (text: string): string => {
    let out = text;
    for (const s of secrets) if (s.length >= 8) out = out.split(s).join(maskSecret(s));
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
    addSecret: (v) => {
      if (v) secrets.add(v);
    },
  };
}

/** A logger that drops everything (tests, benches). */
export const silentLogger: Logger = createLogger({ level: 'error', sink: () => {} });
