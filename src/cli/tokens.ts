/**
 * `rotor tokens create|list|revoke|watch`: access tokens from the command line.
 *
 * Where it acts: a Rotor answering at HOST:PORT (from the configuration, or --url) is asked through its admin API
 * (`/admin/tokens`, with `Authorization: Bearer ADMIN_PASSWORD` when that is set), so the change is live at
 * once. When nothing answers there, the state store is opened directly — Redis with REDIS_URL, else the state
 * file in PERSISTENT_STORAGE_PATH (written before the command exits) — and a Rotor started later loads it.
 * `watch` needs a running Rotor.
 *
 * Exit codes: 0 done, 1 failed, 2 usage error.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { openStateStore, STATE_FILE, type OpenedStateStore } from '../store/open.js';
import { tokenList, TokenService, type TokenListItem } from '../tokens/service.js';
import { parseExpires, TokenInputError, utcDay, validateInput } from '../tokens/token.js';
import { createLogger, type Logger } from '../util/log.js';

export const TOKENS_USAGE = `usage:
  rotor tokens create --name NAME [--rpm N] [--rpd N] [--daily-tokens N] [--models a,b] [--expires 30d] [--quiet]
                        a new access token, printed once (--quiet: only the token)
  rotor tokens list [--json]
                        name, created, last used, usage today and limits of every token (never the token)
  rotor tokens revoke NAME
                        the token stops working at once, on every instance
  rotor tokens watch    live requests and tokens per token (today and the last minute); Ctrl-C to stop

  --url URL             the running Rotor to ask (default http://HOST:PORT from the configuration)
  --expires             30d, 12h, 45m, 2w, or a date (2026-01-31) or ISO time
Limits: --rpm (requests a minute), --rpd (requests a UTC day), --daily-tokens (prompt + completion + thinking
tokens a UTC day), --models (the Gemini models it may use, after aliases). A running Rotor is changed through its
admin API; without one, the state store (REDIS_URL, or PERSISTENT_STORAGE_PATH/rotor-state.json) is changed directly.`;

export interface TokensIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (watch redraws in place). */
  isTTY: boolean;
}

const processIo: TokensIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  isTTY: process.stdout.isTTY === true,
};

/** A failure to report (exit 1), or a usage error (exit 2). */
class CliError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2 = 1,
  ) {
    super(message);
  }
}

interface Target {
  /** Where it acts, for messages. */
  where: string;
  list(): Promise<TokenListItem[]>;
  create(input: Record<string, unknown>): Promise<TokenListItem & { token: string }>;
  revoke(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The host to connect to for a listening address (`0.0.0.0` → this machine). */
function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    /* not JSON */
  }
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

/** The running Rotor's admin API. */
function apiTarget(base: string, headers: Record<string, string>): Target {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    try {
      return await fetch(`${base}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new CliError(`could not reach Rotor at ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
  };
  return {
    where: `Rotor at ${base}`,
    async list() {
      const res = await call('GET', '/admin/tokens');
      if (res.status !== 200) throw new CliError(`Rotor at ${base} refused to list the tokens: ${await errorMessage(res)}`);
      return ((await res.json()) as { tokens: TokenListItem[] }).tokens;
    },
    async create(input) {
      const res = await call('POST', '/admin/tokens', input);
      if (res.status === 201) return (await res.json()) as TokenListItem & { token: string };
      const message = await errorMessage(res);
      throw new CliError(res.status === 400 ? message : `Rotor at ${base} refused to create the token: ${message}`, res.status === 400 ? 2 : 1);
    },
    async revoke(name) {
      const res = await call('DELETE', `/admin/tokens/${encodeURIComponent(name)}`);
      if (res.status === 204) return true;
      if (res.status === 404) return false;
      throw new CliError(`Rotor at ${base} refused to revoke the token: ${await errorMessage(res)}`);
    },
    close: async () => {},
  };
}

/** The state store itself (no Rotor running). */
async function storeTarget(config: Config, logger: Logger): Promise<Target> {
  let opened: OpenedStateStore;
  let where: string;
  if (config.redisUrl === undefined) {
    const file = join(config.storagePath, STATE_FILE);
    // A state file that cannot be read would be replaced by one holding only this change: refuse instead.
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new CliError(`the state file ${file} cannot be read (${err.code ?? err.message})`);
    });
    if (text !== undefined) {
      try {
        JSON.parse(text);
      } catch {
        throw new CliError(`the state file ${file} is not valid JSON; fix or remove it first (it holds cooldowns, usage and tokens)`);
      }
    }
    where = `the state file ${file}`;
    opened = await openStateStore(config, logger, { now: () => Date.now() });
  } else {
    opened = await openStateStore(config, logger, { now: () => Date.now() }, { redisStartTimeoutMs: 5_000 });
    const health = opened.store.health();
    if (!health.ok) {
      await opened.close();
      throw new CliError(`the state store cannot be reached (${health.detail.replace(/, serving from memory$/, '')}); nothing was read or changed`);
    }
    where = `the state store (${health.detail})`;
  }
  const service = await TokenService.open({ store: opened.store, live: false, persist: () => opened.flush() });
  const written = () => {
    const error = opened.stateError();
    if (error) throw new CliError(`${where} could not be written (${error})`);
  };
  return {
    where,
    async list() {
      const day = utcDay(Date.now());
      return tokenList(service, await opened.store.usage(day, day));
    },
    async create(input) {
      try {
        const { token, record } = await service.create(input);
        written();
        return { token, ...service.info(record), today: { requests: 0, tokens: 0 } };
      } catch (err) {
        if (err instanceof TokenInputError) throw new CliError(err.message, err.conflict ? 1 : 2);
        throw err;
      }
    },
    async revoke(name) {
      const done = await service.revoke(name);
      written();
      return done;
    },
    async close() {
      service.close();
      await opened.close();
      const error = opened.stateError();
      if (error) throw new CliError(`${where} could not be written (${error})`);
    },
  };
}

type Probe = { kind: 'running'; base: string; headers: Record<string, string> } | { kind: 'none'; base: string };

/** Is a Rotor answering at the configured address (or --url)? */
async function probe(config: Config, url: string | undefined): Promise<Probe> {
  const base = (url ?? `http://${connectHost(config.host)}:${config.port}`).replace(/\/+$/, '');
  const headers: Record<string, string> = config.adminPassword ? { authorization: `Bearer ${config.adminPassword}` } : {};
  let res: Response;
  try {
    res = await fetch(`${base}/admin/tokens`, { headers, signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    const cause = (err as Error).cause as { code?: string } | undefined;
    if (cause?.code === 'ECONNREFUSED') return { kind: 'none', base };
    if ((err as Error).name === 'TimeoutError') throw new CliError(`something listens at ${base} but did not answer within 5 s`);
    return { kind: 'none', base };
  }
  if (res.status === 200) {
    await res.body?.cancel();
    return { kind: 'running', base, headers };
  }
  if (res.status === 401) throw new CliError(`Rotor at ${base} asks for the admin password: set ADMIN_PASSWORD (in the environment or .env) to the one it was started with`);
  if (res.status === 403) throw new CliError(`Rotor at ${base} refused: ${await errorMessage(res)}`);
  throw new CliError(`${base} answered GET /admin/tokens with HTTP ${res.status}: it is not a Rotor with access tokens (is another program on that port? give --url)`);
}

async function target(config: Config, url: string | undefined, io: TokensIo): Promise<Target> {
  const p = await probe(config, url);
  if (p.kind === 'running') return apiTarget(p.base, p.headers);
  if (url !== undefined) throw new CliError(`no Rotor answers at ${p.base}`);
  // The store's own errors as plain lines (its warnings — Redis away, a file not written — are reported below, once).
  const logger = createLogger({ level: 'error', format: 'json', sink: (l) => io.err(`rotor tokens: ${plainLine(l)}\n`) });
  const t = await storeTarget(config, logger);
  io.err(`(no Rotor answers at ${p.base}: using ${t.where} directly)\n`);
  return t;
}

/** A JSON log line's message. */
function plainLine(line: string): string {
  try {
    return String((JSON.parse(line) as { msg?: unknown }).msg ?? line.trim());
  } catch {
    return line.trim();
  }
}

// --- output ---------------------------------------------------------------------------------------------------

const num = (n: number) => n.toLocaleString('en-US');

function ago(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

function limitsText(t: TokenListItem): string {
  const l = t.limits;
  const parts = [
    l.rpm !== null ? `${num(l.rpm)} rpm` : '',
    l.rpd !== null ? `${num(l.rpd)} rpd` : '',
    l.daily_tokens !== null ? `${num(l.daily_tokens)} tokens/day` : '',
    l.models !== null ? `models ${l.models.join(',')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

/** Left-aligned columns, two spaces apart. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function listTable(tokens: TokenListItem[], now: number): string {
  const rows = [['NAME', 'CREATED', 'LAST USED', 'TODAY', 'LIMITS', 'EXPIRES']];
  for (const t of tokens) {
    const expired = t.expires !== null && Date.parse(t.expires) <= now;
    rows.push([
      t.name,
      t.created.slice(0, 16).replace('T', ' '),
      ago(t.last_used, now),
      `${num(t.today.requests)} req, ${num(t.today.tokens)} tokens`,
      limitsText(t),
      t.expires === null ? 'never' : `${t.expires.slice(0, 16).replace('T', ' ')}${expired ? ' (expired)' : ''}`,
    ]);
  }
  return table(rows);
}

function createdText(t: TokenListItem & { token: string }, base: string): string {
  const limits = limitsText(t);
  return `Created access token "${t.name}" (limits: ${limits}; expires: ${t.expires ?? 'never'}).

  ${t.token}

This is the only time it is shown: store it now (only its hash is kept). Use it as the API key:
  OpenAI SDKs:     base URL ${base}/v1, api key = the token   (Authorization: Bearer …)
  Gemini SDKs:     base URL ${base}, api key = the token      (x-goog-api-key: … or ?key=…)
  Anthropic SDKs:  base URL ${base}, api key = the token      (x-api-key: …)
  e.g. curl ${base}/v1/models -H "Authorization: Bearer ${t.token}"
Revoke it with: rotor tokens revoke ${t.name}
`;
}

// --- watch ----------------------------------------------------------------------------------------------------

interface Sample {
  at: number;
  requests: number;
  tokens: number;
}

async function watch(base: string, headers: Record<string, string>, io: TokensIo, intervalMs: number, signal?: AbortSignal): Promise<number> {
  const history = new Map<string, Sample[]>();
  const started = Date.now();
  let drawn = 0;
  let stop: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => stop!();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });
  if (signal?.aborted) onSignal();
  if (io.isTTY) io.out('\x1b[?25l'); // hide the cursor while redrawing
  try {
    for (;;) {
      let lines: string[];
      const now = Date.now();
      try {
        const res = await fetch(`${base}/admin/tokens`, { headers, signal: AbortSignal.timeout(5_000) });
        if (res.status !== 200) throw new Error(await errorMessage(res));
        const tokens = ((await res.json()) as { tokens: TokenListItem[] }).tokens;
        const rows: string[][] = [['NAME', 'REQ TODAY', 'TOKENS TODAY', 'REQ LAST MIN', 'TOKENS LAST MIN', 'LAST USED']];
        const plain: string[] = [];
        for (const t of tokens) {
          const h = history.get(t.name) ?? [];
          h.push({ at: now, requests: t.today.requests, tokens: t.today.tokens });
          // The newest sample at least a minute old is the baseline (the oldest while watching for less than that).
          while (h.length > 1 && h[1]!.at <= now - 60_000) h.shift();
          history.set(t.name, h);
          const base0 = h[0]!;
          // Today's counters start again at midnight: a drop means a new day.
          const req = t.today.requests >= base0.requests ? t.today.requests - base0.requests : t.today.requests;
          const tok = t.today.tokens >= base0.tokens ? t.today.tokens - base0.tokens : t.today.tokens;
          rows.push([t.name, num(t.today.requests), num(t.today.tokens), num(req), num(tok), ago(t.last_used, now)]);
          plain.push(`${new Date(now).toISOString()} ${t.name} requests_today=${t.today.requests} tokens_today=${t.today.tokens} requests_last_min=${req} tokens_last_min=${tok}`);
        }
        for (const name of history.keys()) if (!tokens.some((t) => t.name === name)) history.delete(name);
        const partial = now - started < 60_000 ? ' (last min: since watching began)' : '';
        lines = io.isTTY
          ? [`rotor tokens watch: ${base}, ${new Date(now).toLocaleTimeString()}${partial}; Ctrl-C to stop`, '', ...(tokens.length ? table(rows).trimEnd().split('\n') : ['no access tokens yet: rotor tokens create --name NAME'])]
          : plain.length
            ? plain
            : [`${new Date(now).toISOString()} no access tokens`];
      } catch (err) {
        const message = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
        lines = [`${new Date(now).toISOString()} Rotor at ${base} did not answer (${message}); trying again`];
      }
      if (io.isTTY) {
        // Back to the first line drawn last time, each line cleared and rewritten, anything below cleared.
        io.out((drawn > 0 ? `\x1b[${drawn}F` : '') + lines.map((l) => `\x1b[2K${l}\n`).join('') + '\x1b[J');
        drawn = lines.length;
      } else io.out(lines.join('\n') + '\n');
      // A timer that holds the process open: watching lasts until Ctrl-C.
      let timeout: NodeJS.Timeout | undefined;
      const timer = new Promise<'tick'>((resolve) => (timeout = setTimeout(() => resolve('tick'), intervalMs)));
      const next = await Promise.race([timer, stopped.then(() => 'stop' as const)]);
      clearTimeout(timeout);
      if (next === 'stop') return 0;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (io.isTTY) io.out('\x1b[?25h');
  }
}

// --- the command ----------------------------------------------------------------------------------------------

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new CliError(`${flag}: expected a whole number of at least 1, found "${v}"`, 2);
  return Number(v);
}

/** Runs `rotor tokens …` (args after `tokens`); `config` loads the configuration (exits 2 on a bad one). */
export async function runTokens(
  args: string[],
  config: () => Config,
  io: TokensIo = processIo,
  /** Tests: how often watch redraws (default 1 s), and a signal that stops it as Ctrl-C does. */
  options: { watchIntervalMs?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const parse = () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        rpm: { type: 'string' },
        rpd: { type: 'string' },
        'daily-tokens': { type: 'string' },
        models: { type: 'string' },
        expires: { type: 'string' },
        url: { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (err) {
    io.err(`rotor tokens: ${(err as Error).message}\n${TOKENS_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, ...rest] = positionals;
  if (values.help || sub === 'help') {
    io.out(TOKENS_USAGE + '\n');
    return 0;
  }
  const usage = (message: string) => {
    io.err(`rotor tokens: ${message}\n${TOKENS_USAGE}\n`);
    return 2;
  };
  if (sub === undefined) return usage('which one: create, list, revoke or watch?');
  if (!['create', 'list', 'revoke', 'watch'].includes(sub)) return usage(`unknown subcommand "${sub}"`);
  const allowed: Record<string, string[]> = {
    create: ['name', 'rpm', 'rpd', 'daily-tokens', 'models', 'expires', 'url', 'quiet'],
    list: ['url', 'json'],
    revoke: ['url'],
    watch: ['url'],
  };
  const stray = Object.keys(values).find((k) => !allowed[sub]!.includes(k));
  if (stray) return usage(`--${stray} does not apply to "tokens ${sub}"`);
  if (sub === 'revoke' ? rest.length !== 1 : rest.length !== 0) return usage(sub === 'revoke' ? 'revoke takes one token name' : `unexpected argument "${rest[0]}"`);

  let input: Record<string, unknown> = {};
  try {
    if (sub === 'create') {
      if (values.name === undefined) return usage('create needs --name NAME');
      input = { name: values.name };
      const rpm = positiveInt('--rpm', values.rpm);
      const rpd = positiveInt('--rpd', values.rpd);
      const daily = positiveInt('--daily-tokens', values['daily-tokens']);
      if (rpm !== undefined) input.rpm = rpm;
      if (rpd !== undefined) input.rpd = rpd;
      if (daily !== undefined) input.daily_tokens = daily;
      if (values.models !== undefined) input.models = values.models.split(',').map((m) => m.trim()).filter(Boolean);
      if (values.expires !== undefined) input.expires = values.expires;
      // Checked here too, so a typo is a usage error before anything is opened.
      validateInput(input);
      if (values.expires !== undefined) parseExpires(values.expires, Date.now());
    }
  } catch (err) {
    if (err instanceof CliError || err instanceof TokenInputError) return usage(err.message);
    throw err;
  }

  const cfg = config();
  const url = values.url;
  let t: Target | undefined;
  try {
    if (sub === 'watch') {
      const p = await probe(cfg, url);
      if (p.kind === 'none') throw new CliError(`rotor tokens watch needs a running Rotor, and none answers at ${p.base}: start it (rotor), or name it with --url`);
      return await watch(p.base, p.headers, io, options.watchIntervalMs ?? 1000, options.signal);
    }
    t = await target(cfg, url, io);
    const base = url?.replace(/\/+$/, '') ?? `http://${connectHost(cfg.host)}:${cfg.port}`;
    let code = 0;
    if (sub === 'create') {
      const created = await t.create(input);
      io.out(values.quiet ? `${created.token}\n` : createdText(created, base));
    } else if (sub === 'list') {
      const tokens = await t.list();
      if (values.json) io.out(JSON.stringify({ tokens }, null, 2) + '\n');
      else if (tokens.length === 0) io.out('No access tokens. Create one: rotor tokens create --name NAME [--rpm N]\n');
      else io.out(listTable(tokens, Date.now()));
    } else {
      const name = rest[0]!;
      if (await t.revoke(name)) io.out(`Revoked access token "${name}": it no longer works, on any instance.\n`);
      else {
        io.err(`rotor tokens: no token named "${name}" (rotor tokens list shows them)\n`);
        code = 1;
      }
    }
    await t.close();
    t = undefined;
    return code;
  } catch (err) {
    await t?.close().catch(() => undefined);
    if (err instanceof CliError) {
      io.err(`rotor tokens: ${err.message}\n`);
      return err.code;
    }
    throw err;
  }
}
