/**
 * A baseline for `npm run bench:pool`: the key rotation the seed projects do, which only reacts to 429s. OpenAI
 * chat (non-streaming) in, Gemini API generateContent out, keys taken in turn; a 429 cools that key for the delay
 * Google names ("Please retry in 1.23s", else RetryInfo, else one second) and the request moves to the next key;
 * when every key is cooling down, the client gets a 429. No limits known in advance, no queue, no shared state.
 *   node bench/targets/pool-reactive.js --upstream URL --keys '[{"key":"AIza…"}, …]' [--port 0]
 * Prints {"url": ...} on stdout when listening.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const opt = { type: 'string' };
const { values: a } = parseArgs({ options: { upstream: opt, keys: opt, port: { ...opt, default: '0' } } });
const pool = new Pool(a.upstream, { keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
const keys = JSON.parse(a.keys).map((k) => ({ key: k.key, coolUntil: 0 }));
let cursor = 0;

/** The delay a 429 names, in ms. */
function retryDelayMs(text) {
  const precise = /Please retry in ([\d.]+)(ms|s)/.exec(text);
  if (precise) return Number(precise[1]) * (precise[2] === 'ms' ? 1 : 1000);
  const info = /"retryDelay"\s*:\s*"([\d.]+)s"/.exec(text);
  return info ? Number(info[1]) * 1000 : 1000;
}

function toGemini(body) {
  const contents = body.messages.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: typeof m.content === 'string' ? m.content : '' }] }));
  return { contents };
}

async function handle(req, res) {
  let text = '';
  for await (const chunk of req) text += chunk;
  const body = JSON.parse(text);
  const payload = JSON.stringify(toGemini(body));
  for (let tried = 0; tried < keys.length; tried++) {
    const now = Date.now();
    const k = keys[cursor];
    cursor = (cursor + 1) % keys.length;
    if (k.coolUntil > now) continue;
    const up = await pool.request({
      path: `/v1beta/models/${body.model}:generateContent`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': k.key },
      body: payload,
    });
    const answer = await up.body.text();
    if (up.statusCode === 429) {
      k.coolUntil = Date.now() + retryDelayMs(answer);
      continue;
    }
    if (up.statusCode !== 200) {
      res.writeHead(up.statusCode, { 'content-type': 'application/json' }).end(answer);
      return;
    }
    const r = JSON.parse(answer);
    const content = (r.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join('');
    const reply = { id: `chatcmpl-${randomUUID()}`, object: 'chat.completion', created: Math.floor(now / 1000), model: body.model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    return;
  }
  res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'all_keys_cooling_down', message: 'every key is cooling down' } }));
}

const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0;
server.listen(Number(a.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
