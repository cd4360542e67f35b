/**
 * Client traffic for fault tests: one call per request kind (OpenAI and native, streamed or not), each
 * judged end to end: a success carries the caller's token back, a stream ends cleanly with no error event.
 */
/** Anything that can POST JSON to Rotor with the password (a FaultStack, or a spawned rotor process). */
export interface Poster {
  post(path: string, body: unknown, init?: { signal?: AbortSignal }): Promise<{ status: number; text: string; headers: Headers }>;
}

export type Kind = 'chat' | 'chat-stream' | 'generate' | 'stream-sse' | 'stream-array' | 'count';
export const ALL_KINDS: Kind[] = ['chat', 'chat-stream', 'generate', 'stream-sse', 'stream-array', 'count'];

export interface Outcome {
  kind: Kind;
  ok: boolean;
  status: number;
  /** Why it failed (or what the stream said) */
  detail: string;
  /** For streams: data events received before an error event, and whether an error event came. */
  events: number;
  errorEvent: unknown;
  ms: number;
}

const MODEL = 'gemini-2.5-flash';

function dataEvents(text: string): unknown[] {
  const out: unknown[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (data === '' || data === '[DONE]') continue;
    out.push(JSON.parse(data));
  }
  return out;
}

const errorOf = (v: unknown) => (v as { error?: unknown } | null)?.error;
const geminiText = (v: unknown) =>
  ((v as { candidates?: Array<{ content?: { parts?: Array<{ text?: string }> } }> }).candidates?.[0]?.content?.parts ?? [])
    .map((p) => p.text ?? '')
    .join('');

/** Sends one request of `kind` whose prompt contains `token`, and judges the answer. */
export async function call(stack: Poster, kind: Kind, token: string, signal?: AbortSignal): Promise<Outcome> {
  const started = Date.now();
  const base = { kind, events: 0, errorEvent: undefined as unknown };
  const done = (ok: boolean, status: number, detail: string, extra: Partial<Outcome> = {}): Outcome => ({ ...base, ok, status, detail, ms: Date.now() - started, ...extra });
  const contents = [{ role: 'user', parts: [{ text: `please echo ${token}` }] }];
  const messages = [{ role: 'user', content: `please echo ${token}` }];
  let r: { status: number; text: string; headers: Headers };
  try {
    switch (kind) {
      case 'chat':
      case 'chat-stream':
        r = await stack.post('/v1/chat/completions', { model: MODEL, messages, stream: kind === 'chat-stream' }, { signal });
        break;
      case 'generate':
        r = await stack.post(`/v1beta/models/${MODEL}:generateContent`, { contents }, { signal });
        break;
      case 'stream-sse':
        r = await stack.post(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`, { contents }, { signal });
        break;
      case 'stream-array':
        r = await stack.post(`/v1beta/models/${MODEL}:streamGenerateContent`, { contents }, { signal });
        break;
      case 'count':
        r = await stack.post(`/v1beta/models/${MODEL}:countTokens`, { contents }, { signal });
        break;
    }
  } catch (err) {
    // fetch rejects when the connection breaks mid-body: a stream that did not end cleanly.
    return done(false, 0, `connection failed: ${(err as Error).message} ${String((err as { cause?: Error }).cause?.message ?? '')}`);
  }
  if (r.status !== 200) return done(false, r.status, r.text.slice(0, 300));
  try {
    switch (kind) {
      case 'chat': {
        const text = (JSON.parse(r.text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;
        return text.includes(token) ? done(true, 200, '') : done(false, 200, `reply lacks the token: ${text.slice(0, 200)}`);
      }
      case 'generate': {
        const text = geminiText(JSON.parse(r.text));
        return text.includes(token) ? done(true, 200, '') : done(false, 200, `reply lacks the token: ${text.slice(0, 200)}`);
      }
      case 'count':
        return (JSON.parse(r.text) as { totalTokens?: number }).totalTokens! > 0 ? done(true, 200, '') : done(false, 200, r.text);
      case 'chat-stream':
      case 'stream-sse':
      case 'stream-array': {
        const events = kind === 'stream-array' ? (JSON.parse(r.text) as unknown[]) : dataEvents(r.text);
        const errIndex = events.findIndex((e) => errorOf(e) !== undefined);
        const good = errIndex < 0 ? events : events.slice(0, errIndex);
        const extra = { events: good.length, errorEvent: errIndex < 0 ? undefined : errorOf(events[errIndex]) };
        if (errIndex >= 0) return done(false, 200, `error event after ${good.length} events: ${JSON.stringify(extra.errorEvent).slice(0, 200)}`, extra);
        if (kind === 'chat-stream' && !r.text.includes('data: [DONE]')) return done(false, 200, 'no [DONE]', extra);
        const text =
          kind === 'chat-stream'
            ? good.map((e) => (e as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content ?? '').join('')
            : good.map(geminiText).join('');
        return text.includes(token) ? done(true, 200, '', extra) : done(false, 200, `stream lacks the token: ${text.slice(0, 200)}`, extra);
      }
    }
  } catch (err) {
    return done(false, r.status, `unparseable answer (${(err as Error).message}): ${r.text.slice(0, 200)}`);
  }
}

/** Runs `total` calls cycling through `kinds`, `concurrency` at a time. */
export async function storm(stack: Poster, total: number, concurrency: number, kinds: Kind[] = ALL_KINDS): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      out.push(await call(stack, kinds[i % kinds.length]!, `tok${i}x${Math.random().toString(36).slice(2, 8)}`));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

export function failures(outcomes: Outcome[]): string[] {
  return outcomes.filter((o) => !o.ok).map((o) => `${o.kind}: HTTP ${o.status} ${o.detail}`);
}
