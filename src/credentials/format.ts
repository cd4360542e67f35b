/**
 * Credential file formats (docs/google-protocols.md#credential-files): gemini-cli `oauth_creds.json`, Python
 * google-auth "authorized_user", and CLIProxyAPI's nested `{token:{…}}` file. Parsing keeps the original
 * object so that serialising writes the credential back in its own format with every unknown field intact.
 */
import { z } from 'zod';

export type CredentialFormat = 'gemini-cli' | 'authorized-user' | 'cliproxy';

/** A credential as read from JSON, plus the original object for lossless write-back. */
export interface ParsedCredential {
  format: CredentialFormat;
  refreshToken: string;
  accessToken: string | undefined;
  /** Epoch ms when the access token expires. */
  expiresAt: number | undefined;
  /** Space-separated granted scopes, when the source states them. */
  scope: string | undefined;
  tokenType: string | undefined;
  idToken: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  tokenUri: string | undefined;
  projectId: string | undefined;
  email: string | undefined;
  /** The object as read; never mutated. */
  raw: Readonly<Record<string, unknown>>;
}

const str = z.string().nullish();
const common = {
  refresh_token: z.string(),
  client_id: str,
  client_secret: str,
  token_uri: str,
  project_id: str,
  email: str,
};
const geminiCliSchema = z.looseObject({
  ...common,
  access_token: str,
  expiry_date: z.number().nullish(),
  scope: str,
  token_type: str,
  id_token: str,
});
const authorizedUserSchema = z.looseObject({
  ...common,
  token: str,
  expiry: str,
  scopes: z.union([z.array(z.string()), z.string()]).nullish(),
});
const cliproxySchema = z.looseObject({
  token: z.looseObject({
    ...common,
    access_token: str,
    expiry: str,
    token_type: str,
    scopes: z.union([z.array(z.string()), z.string()]).nullish(),
  }),
  project_id: str,
  email: str,
});

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Empty strings count as absent: CLIProxyAPI writes `"project_id": ""` before discovery. */
const opt = (v: string | null | undefined): string | undefined => (v ? v : undefined);

function detectFormat(v: Record<string, unknown>): CredentialFormat {
  if (isRecord(v['token'])) return 'cliproxy';
  if ('access_token' in v || 'expiry_date' in v) return 'gemini-cli';
  if ('token' in v || 'expiry' in v || 'scopes' in v || v['type'] === 'authorized_user') return 'authorized-user';
  return 'gemini-cli';
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Python google-auth writes naive UTC (`2025-06-26T08:49:23`) and sometimes microseconds; Go writes
 * RFC3339 with nanoseconds. Normalise both before Date.parse, which would read a zone-less value as local time.
 */
export function parseExpiry(value: string): number {
  let s = value.trim().replace(/(\.\d{3})\d+/, '$1');
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(s)) s += 'Z';
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new Error(`expiry: "${value.slice(0, 40)}" is not an ISO-8601 date`);
  return ms;
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ`, the one expiry spelling every authorized_user parser accepts
 * (docs/google-protocols.md#python-authorized-user-format).
 */
export function formatExpiry(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CLIProxyAPI's project_id may list several projects separated by commas; the first is the one used. */
const firstProject = (v: unknown): string | undefined =>
  typeof v === 'string' ? opt(v.split(',')[0]?.trim()) : undefined;

const scopesToString = (s: string[] | string | null | undefined): string | undefined =>
  s == null ? undefined : Array.isArray(s) ? s.join(' ') : s;

/** Parses one credential object in any supported format. Throws an Error whose message is the reason. */
export function parseCredentialJson(value: unknown): ParsedCredential {
  if (!isRecord(value)) throw new Error('expected a JSON object');
  const format = detectFormat(value);
  const inner = format === 'cliproxy' ? (value['token'] as Record<string, unknown>) : value;
  const rt = inner['refresh_token'];
  if (rt === undefined || rt === null || rt === '') {
    throw new Error(
      `missing refresh_token (${format} format): without one the access token cannot be renewed; log in again`,
    );
  }
  const base = { format, raw: value };
  if (format === 'gemini-cli') {
    const r = geminiCliSchema.safeParse(value);
    if (!r.success) throw new Error(formatIssues(r.error));
    const d = r.data;
    return {
      ...base,
      refreshToken: d.refresh_token,
      accessToken: opt(d.access_token),
      expiresAt: d.expiry_date ?? undefined,
      scope: opt(d.scope),
      tokenType: opt(d.token_type),
      idToken: opt(d.id_token),
      clientId: opt(d.client_id),
      clientSecret: opt(d.client_secret),
      tokenUri: opt(d.token_uri),
      projectId: opt(d.project_id),
      email: opt(d.email),
    };
  }
  if (format === 'authorized-user') {
    const r = authorizedUserSchema.safeParse(value);
    if (!r.success) throw new Error(formatIssues(r.error));
    const d = r.data;
    return {
      ...base,
      refreshToken: d.refresh_token,
      accessToken: opt(d.token),
      expiresAt: d.expiry ? parseExpiry(d.expiry) : undefined,
      scope: scopesToString(d.scopes),
      tokenType: undefined,
      idToken: undefined,
      clientId: opt(d.client_id),
      clientSecret: opt(d.client_secret),
      tokenUri: opt(d.token_uri),
      projectId: opt(d.project_id),
      email: opt(d.email),
    };
  }
  const r = cliproxySchema.safeParse(value);
  if (!r.success) throw new Error(formatIssues(r.error));
  const t = r.data.token;
  return {
    ...base,
    refreshToken: t.refresh_token,
    accessToken: opt(t.access_token),
    expiresAt: t.expiry ? parseExpiry(t.expiry) : undefined,
    scope: scopesToString(t.scopes),
    tokenType: opt(t.token_type),
    idToken: undefined,
    clientId: opt(t.client_id),
    clientSecret: opt(t.client_secret),
    tokenUri: opt(t.token_uri),
    projectId: firstProject(r.data.project_id),
    email: opt(r.data.email),
  };
}

/** Assigns only defined values, so a field Rotor does not know stays exactly as it was read. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/** Writes the credential back in its own format, keeping every field Rotor does not manage. */
export function serializeCredential(c: ParsedCredential): string {
  const out: Record<string, unknown> = { ...c.raw };
  if (c.format === 'gemini-cli') {
    put(out, 'access_token', c.accessToken);
    put(out, 'refresh_token', c.refreshToken);
    put(out, 'expiry_date', c.expiresAt);
    put(out, 'scope', c.scope);
    put(out, 'token_type', c.tokenType);
    put(out, 'id_token', c.idToken);
  } else if (c.format === 'authorized-user') {
    put(out, 'token', c.accessToken);
    put(out, 'refresh_token', c.refreshToken);
    put(out, 'expiry', c.expiresAt === undefined ? undefined : formatExpiry(c.expiresAt));
  } else {
    const token: Record<string, unknown> = { ...(c.raw['token'] as Record<string, unknown>) };
    put(token, 'access_token', c.accessToken);
    put(token, 'refresh_token', c.refreshToken);
    put(token, 'expiry', c.expiresAt === undefined ? undefined : formatExpiry(c.expiresAt));
    put(token, 'token_type', c.tokenType);
    out['token'] = token;
  }
  // Leave a multi-project CLIProxyAPI list alone unless the project really changed.
  if (c.format !== 'cliproxy' || c.projectId !== firstProject(c.raw['project_id'])) put(out, 'project_id', c.projectId);
  put(out, 'email', c.email);
  return JSON.stringify(out, null, 2) + '\n';
}
