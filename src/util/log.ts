/**
 * Structured logs with pino: JSON lines (one object per line, `time`, `level`, `msg` and fields), or pretty
 * lines in a terminal. Every line passes through one redactor before it is written — known secrets by value
 * (and as they look inside JSON), then anything shaped like a Google token or key — so a stray token in an error
 * message never reaches the log. The same redactor serves text shown to clients (`redact`).
 */
import { pino, type Logger as Pino } from 'pino';
import { createRequire } from 'node:module';
import { maskSecret } from './secrets.js';
import { createSecretIndex } from './secret-index.js';

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
  /**
   * The access log: one info line per request, `msg` "request", with these fields. Cheaper than info() on the
   * hottest log path (see createLogger); the same JSON line, masked the same way.
   */
  access(fields: Record<string, string | number>): void;
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
  /rotor_[A-Za-z0-9_-]{20,}/g, // Rotor's own access tokens
  /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWTs (id tokens)
];

/** Every pattern above starts with one of these. */
const TOKEN_PREFIXES = /ya29\.|1\/\/|AIza|GOCSPX-|rotor_|eyJ/;

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go (each ends with a newline); defaults to stderr. Tests pass a collector. */
  sink?: (line: string) => void;
  /** `json` (one object per line) or `pretty` (for people); default: pretty on a terminal, else JSON. */
  format?: 'json' | 'pretty';
}

/** LOG_LEVEL, or debug with DEBUG=true; info otherwise. */
export function levelFromEnv(env: NodeJS.ProcessEnv): LogLevel {
  const level = env.LOG_LEVEL?.trim().toLowerCase();
  if (level === 'debug' || level === 'info' || level === 'warn' || level === 'error') return level;
  return env.DEBUG === 'true' || env.DEBUG === '1' ? 'debug' : 'info';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = createSecretIndex();
  const redact = (text: string): string => {
    let out = secrets.mask(text);
    // Most lines hold none of the patterns' fixed beginnings: one scan instead of six.
    if (TOKEN_PREFIXES.test(out)) for (const re of TOKEN_PATTERNS) out = out.replace(re, (m) => maskSecret(m));
    return out;
  };
  const sink = options.sink ?? stderrInBatches();
  const pretty = (options.format ?? (options.sink === undefined && process.stderr.isTTY ? 'pretty' : 'json')) === 'pretty';
  // pino-pretty only for people at a terminal: a server logging JSON never loads it.
  const prettify = pretty ? (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')).prettyFactory({ colorize: options.sink === undefined && process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : undefined;
  // A synchronous destination: the line is masked before anything else sees it.
  const destination = {
    write(line: string) {
      const masked = redact(line);
      sink(prettify ? prettify(masked) : masked);
    },
  };
  const log: Pino = pino(
    { level: options.level ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    destination,
  );
  const at = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => (fields ? log[level](fields, msg) : log[level](msg));
  // The access line skips pino and masks field by field: pino's generic serialiser and masking the whole line
  // showed in a profile of every request (a few per cent; bench/ab.js could not tell the gain from noise). Its
  // values repeat (paths, models, credentials), so their masked forms are kept until a secret is added or the
  // cache fills.
  const maskedValues = new Map<string, string>();
  const maskValue = (v: string): string => {
    let m = maskedValues.get(v);
    if (m === undefined) {
      m = redact(v);
      if (v.length <= 256) {
        if (maskedValues.size >= 1_000) maskedValues.clear();
        maskedValues.set(v, m);
      }
    }
    return m;
  };
  const accessJson = !pretty && log.isLevelEnabled('info');
  return {
    access(fields) {
      if (!accessJson) return void (log.isLevelEnabled('info') && log.info(fields, 'request'));
      let line = `{"level":"info","time":"${new Date().toISOString()}"`;
      for (const k in fields) {
        const v = fields[k];
        line += `,"${k}":${typeof v === 'string' ? JSON.stringify(maskValue(v)) : Number.isFinite(v) ? String(v) : 'null'}`;
      }
      sink(`${line},"msg":"request"}\n`);
    },
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    enabled: (level) => log.isLevelEnabled(level),
    addSecret(v) {
      secrets.add(v);
      maskedValues.clear();
      // As it appears inside a JSON line, where quotes and backslashes are escaped.
      const escaped = v === undefined ? undefined : JSON.stringify(v).slice(1, -1);
      if (escaped !== v) secrets.add(escaped);
    },
    dropSecret(v) {
      secrets.drop(v);
      const escaped = v === undefined ? undefined : JSON.stringify(v).slice(1, -1);
      if (escaped !== v) secrets.drop(escaped);
    },
    redact,
  };
}

/**
 * Writes info and debug lines to stderr at most every 20 ms (or per 64 KB); a warning or an error goes at once,
 * after what is pending. stderr is synchronous on a pipe or a file, and a busy Rotor logs a line per request: a
 * write per line cost about a tenth of its CPU per request (`npm run bench -- --profile`). Pending lines are
 * written at exit and before anything else Rotor writes to stderr itself (`flushLogs`); a crash that skips
 * `exit` (SIGKILL, out of memory) can lose up to 20 ms of info lines, never a warning or an error.
 */
let flushPending: () => void = () => {};

/** Writes the log lines still waiting: call before writing to stderr directly, so lines keep their order. */
export function flushLogs(): void {
  flushPending();
}

function stderrInBatches(): (line: string) => void {
  let pending: string[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    size = 0;
    process.stderr.write(text);
  };
  flushPending = flush;
  process.on('exit', flush);
  return (line) => {
    pending.push(line);
    size += line.length;
    if (size >= 64 * 1024 || !routine(line)) flush();
    else if (!timer) timer = setTimeout(flush, 20).unref();
  };
}

/** An info or debug line (JSON starts with the level; a pretty line names it after the time). */
function routine(line: string): boolean {
  return line.startsWith('{"level":"info"') || line.startsWith('{"level":"debug"') || /(INFO|DEBUG)/.test(line.slice(0, 30));
}

/** A logger that drops everything (tests, benches). */
export const silentLogger: Logger = createLogger({ level: 'error', sink: () => {} });
