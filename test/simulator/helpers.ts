/** Shared helpers for the simulator tests: real HTTP against a simulator on a free port. */
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com';
export const CLIENT_SECRET = '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';

export interface JsonReply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator(options);
}

export async function json<T = any>(res: Response): Promise<JsonReply<T>> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export function form(params: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  };
}

export async function refresh(sim: Simulator, refreshToken: string): Promise<JsonReply> {
  return json(
    await fetch(
      sim.tokenUrl,
      form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    ),
  );
}

/** An access token for an account created with the default refresh token. */
export async function tokenFor(sim: Simulator, email: string): Promise<string> {
  const r = await refresh(sim, `1//sim-refresh-${email}`);
  if (r.status !== 200) throw new Error(`token for ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

export async function call(
  sim: Simulator,
  method: string,
  token: string | undefined,
  body: unknown,
  query = '',
): Promise<JsonReply> {
  return json(await raw(sim, method, token, body, query));
}

export function raw(sim: Simulator, method: string, token: string | undefined, body: unknown, query = ''): Promise<Response> {
  return fetch(`${sim.codeAssistEndpoint}/v1internal:${method}${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function envelope(email: string, text: string, extra: Record<string, unknown> = {}, model = 'gemini-2.5-flash') {
  return {
    model,
    project: `sim-project-${email.split('@')[0]}`,
    user_prompt_id: 'p-1',
    request: { contents: [{ role: 'user', parts: [{ text }] }], ...extra },
  };
}

export const tokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

/** A Gemini API (/v1beta) call with the key in x-goog-api-key (or none). */
export function apiRaw(sim: Simulator, model: string, method: string, key: string | undefined, body: unknown, query = ''): Promise<Response> {
  return fetch(`${sim.geminiApiBaseUrl}/v1beta/models/${model}:${method}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-goog-api-key': key } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function apiCall(sim: Simulator, model: string, method: string, key: string | undefined, body: unknown, query = ''): Promise<JsonReply> {
  return json(await apiRaw(sim, model, method, key, body, query));
}

/** A plain Gemini API request body with one user text. */
export function userText(text: string, extra: Record<string, unknown> = {}) {
  return { contents: [{ role: 'user', parts: [{ text }] }], ...extra };
}

/** The JSON events of an SSE body framed with CRLF CRLF, as Google frames them. */
export function sseEvents<T = any>(text: string): T[] {
  const blocks = text.split('\r\n\r\n');
  if (blocks.pop() !== '') throw new Error('SSE body does not end with CRLF CRLF');
  return blocks.map((block) => {
    if (!block.startsWith('data: ')) throw new Error(`not a data event: ${block.slice(0, 40)}`);
    return JSON.parse(block.slice('data: '.length)) as T;
  });
}
