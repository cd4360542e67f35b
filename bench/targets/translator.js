/**
 * Target (c): the floor for any translating Node proxy. OpenAI chat in, Code Assist envelope out, OpenAI back,
 * with one access token fetched at start-up and cached, and no validation, failover or bookkeeping.
 *   node bench/targets/translator.js --upstream URL --token-url URL --refresh-token T --project P [--port 0]
 * Prints {"url": ...} on stdout when listening.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const opt = { type: 'string' };
const { values: a } = parseArgs({ options: { upstream: opt, 'token-url': opt, 'refresh-token': opt, project: opt, port: { ...opt, default: '0' } } });
const pool = new Pool(a.upstream, { keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: a['refresh-token'], client_id: 'bench', client_secret: 'bench' });
const token = (await (await fetch(a['token-url'], { method: 'POST', body: form })).json()).access_token;
const FINISH = { STOP: 'stop', MAX_TOKENS: 'length' };

function toGemini(body) {
  const contents = [];
  let systemInstruction;
  for (const m of body.messages) {
    const parts = [{ text: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text ?? '').join('') }];
    if (m.role === 'system') systemInstruction = { parts };
    else contents.push({ role: m.role === 'assistant' ? 'model' : 'user', parts });
  }
  const generationConfig = body.max_tokens ? { maxOutputTokens: body.max_tokens } : undefined;
  return { model: body.model, project: a.project, user_prompt_id: randomUUID(), request: { contents, systemInstruction, generationConfig } };
}

function choice(r, key) {
  const c = r.candidates?.[0];
  const text = (c?.content?.parts ?? []).map((p) => p.text ?? '').join('');
  return { index: 0, [key]: key === 'message' ? { role: 'assistant', content: text } : { content: text }, finish_reason: FINISH[c?.finishReason] ?? null };
}

function usage(u) {
  return u?.totalTokenCount ? { prompt_tokens: u.promptTokenCount, completion_tokens: u.candidatesTokenCount, total_tokens: u.totalTokenCount } : undefined;
}

async function handle(req, res) {
  let text = '';
  for await (const chunk of req) text += chunk;
  const body = JSON.parse(text);
  const method = body.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const up = await pool.request({ path: `/v1internal:${method}`, method: 'POST', headers, body: JSON.stringify(toGemini(body)) });
  res.on('close', () => up.body.destroy());
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (!body.stream) {
    const r = (await up.body.json()).response ?? {};
    const reply = { id, object: 'chat.completion', created, model: body.model, choices: [choice(r, 'message')], usage: usage(r.usageMetadata) };
    res.writeHead(up.statusCode, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    return;
  }
  res.writeHead(up.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.socket?.setNoDelay(true);
  let buf = '';
  for await (const chunk of up.body) {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trimEnd();
      buf = buf.slice(nl + 1);
      if (!line.startsWith('data:')) continue;
      const r = JSON.parse(line.slice(5)).response ?? {};
      const out = { id, object: 'chat.completion.chunk', created, model: body.model, choices: [choice(r, 'delta')], usage: usage(r.usageMetadata) };
      res.write(`data: ${JSON.stringify(out)}\n\n`);
    }
  }
  res.end('data: [DONE]\n\n');
}

const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0;
server.listen(Number(a.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
