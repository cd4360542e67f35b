/**
 * The operator's API for access tokens and usage (routes with `auth: 'admin'`: loopback only, or ADMIN_PASSWORD).
 * JSON in and out, errors in OpenAI's error shape. The dashboard and `rotor tokens` are built on exactly this:
 *
 *   GET    /admin/tokens          → 200 { tokens: [ { name, created, expires, last_used, limits, today } ] }
 *   POST   /admin/tokens          { name, rpm?, rpd?, daily_tokens?, models?, expires? }
 *                                 → 201 { token, …the list item }; 409 when the name exists; 400 naming a bad field
 *   DELETE /admin/tokens/{name}   → 204, or 404
 *   GET    /admin/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&by=token|credential|model|bucket[&format=csv]
 *                                 → 200 { from, to, by, rows: [ { day, key, requests, prompt_tokens,
 *                                   completion_tokens, thinking_tokens, errors: { <class>: n } } ] }, or text/csv
 *
 * Never the token (except once, in the 201) and never its hash.
 */
import { aggregateUsage, usageCsv, USAGE_DIMENSIONS, type UsageDimension, type UsageRecorder } from '../../observe/usage.js';
import { tokenList, type TokenService } from '../../tokens/service.js';
import { TokenInputError, utcDay } from '../../tokens/token.js';
import { closeIfDraining } from '../../util/draining.js';
import { ApiError } from '../errors.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';

export interface AdminTokensDeps {
  tokens: TokenService;
  usage: Pick<UsageRecorder, 'rows'>;
  now?: () => number;
}

/** The longest span /admin/usage reads at once (usage is kept USAGE_RETENTION_DAYS anyway). */
const MAX_USAGE_DAYS = 400;

const today = (deps: AdminTokensDeps) => utcDay((deps.now ?? Date.now)());

export async function listTokens(deps: AdminTokensDeps, r: ApiRequest): Promise<void> {
  const day = today(deps);
  sendJson(r.res, 200, { tokens: tokenList(deps.tokens, await deps.usage.rows(day, day)) });
}

export async function createToken(deps: AdminTokensDeps, r: ApiRequest): Promise<void> {
  try {
    const { token, record } = await deps.tokens.create(r.body);
    sendJson(r.res, 201, { token, ...deps.tokens.info(record), today: { requests: 0, tokens: 0 } }, { 'Cache-Control': 'no-store' });
  } catch (err) {
    if (err instanceof TokenInputError) {
      throw err.conflict ? new ApiError(409, err.message, err.field, 'token_exists') : new ApiError(400, err.message, err.field, 'invalid_request');
    }
    throw err;
  }
}

export async function revokeToken(deps: AdminTokensDeps, r: ApiRequest): Promise<void> {
  const name = r.params[0] ?? '';
  if (!(await deps.tokens.revoke(name))) throw new ApiError(404, `no token named "${name.slice(0, 64)}"`, 'name', 'token_not_found');
  r.res.statusCode = 204;
  closeIfDraining(r.res);
  r.res.end();
}

function day(r: ApiRequest, param: 'from' | 'to', fallback: string): string {
  const v = r.query.get(param);
  if (v === null || v === '') return fallback;
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);
  if (!ok) throw new ApiError(400, `${param}: expected a date as YYYY-MM-DD, found "${v.slice(0, 40)}"`, param, 'invalid_request');
  return v;
}

export async function usageReport(deps: AdminTokensDeps, r: ApiRequest): Promise<void> {
  const now = today(deps);
  const from = day(r, 'from', now);
  const to = day(r, 'to', now);
  if (from > to) throw new ApiError(400, `from (${from}) is after to (${to})`, 'from', 'invalid_request');
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_USAGE_DAYS) throw new ApiError(400, `from … to spans more than ${MAX_USAGE_DAYS} days`, 'from', 'invalid_request');
  const by = r.query.get('by') || 'token';
  if (!(USAGE_DIMENSIONS as readonly string[]).includes(by)) throw new ApiError(400, `by: expected one of ${USAGE_DIMENSIONS.join(', ')}, found "${by.slice(0, 40)}"`, 'by', 'invalid_request');
  const format = r.query.get('format') || 'json';
  if (format !== 'json' && format !== 'csv') throw new ApiError(400, `format: expected json or csv, found "${format.slice(0, 40)}"`, 'format', 'invalid_request');
  const rows = aggregateUsage(await deps.usage.rows(from, to), by as UsageDimension);
  if (format === 'json') return sendJson(r.res, 200, { from, to, by, rows });
  const text = usageCsv(rows);
  r.res.statusCode = 200;
  r.res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  r.res.setHeader('Content-Length', Buffer.byteLength(text));
  closeIfDraining(r.res);
  r.res.end(text);
}
