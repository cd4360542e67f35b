/**
 * Upstream for Portkey's streams only. Portkey's google provider streams with `:streamGenerateContent?key=`
 * (no alt=sse): a JSON array written element by element, which Portkey splits on "\r\n" and trims of "[", ","
 * and a final "\n]" (two characters). The simulator writes the array compactly (`…},\r\n{…}]`), so Portkey
 * cuts the last element short and loses the finish reason and usage. This fake writes the layout Portkey
 * expects (`[{…}\n,\r\n{…}\n]`) with the simulator's timing and reply text: `--latency-ms` before the headers,
 * then `--stream-events` elements `--stream-interval-ms` apart. It does no validation, so it costs less CPU
 * than the simulator; that favours Portkey in the throughput comparison, never Rotor.
 *   node bench/targets/gemini-api-fake.js [--port 0] [--latency-ms 20] [--stream-events 20] [--stream-interval-ms 5]
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const opt = { type: 'string' };
const { values } = parseArgs({ options: { port: { ...opt, default: '0' }, 'latency-ms': { ...opt, default: '20' }, 'stream-events': { ...opt, default: '20' }, 'stream-interval-ms': { ...opt, default: '5' } } });
const latencyMs = Number(values['latency-ms']);
const events = Math.max(2, Number(values['stream-events']));
const intervalMs = Number(values['stream-interval-ms']);
const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
let counter = 0;

function element(model, text, id, last, usage) {
  const candidate = { content: { role: 'model', parts: [{ text }] }, index: 0 };
  if (last) candidate.finishReason = 'STOP';
  return { candidates: [candidate], usageMetadata: last ? usage : undefined, modelVersion: model, responseId: id };
}

async function handle(req, res) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const url = new URL(req.url, 'http://fake');
  const m = /^\/v1beta\/models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
  if (req.method !== 'POST' || !m || !url.searchParams.get('key')) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}');
    return;
  }
  const [, model, method] = m;
  const body = JSON.parse(raw);
  const last = body.contents?.at(-1)?.parts?.map((p) => p.text ?? '').join('') ?? '(no text)';
  const text = `Echo from ${model}: ${last}`;
  const tokens = (n) => Math.max(1, Math.ceil(n / 4));
  const usage = { promptTokenCount: tokens(last.length), candidatesTokenCount: tokens(text.length), totalTokenCount: tokens(last.length) + tokens(text.length) };
  const id = `fake-${++counter}`;
  await sleep(latencyMs);
  if (method === 'generateContent') {
    const out = JSON.stringify(element(model, text, id, true, usage));
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(out) }).end(out);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  for (let i = 0; i < events; i++) {
    if (i > 0) await sleep(intervalMs);
    if (res.destroyed) return;
    const slice = text.slice(Math.floor((i * text.length) / events), Math.floor(((i + 1) * text.length) / events));
    const json = JSON.stringify(element(model, slice, id, i === events - 1, usage));
    // Google's layout: "[{…}\n,\r\n{…}\n,\r\n{…}\n]"; Portkey splits on \r\n and trims "[", "," and "\n]".
    res.write((i === 0 ? '[' : '') + json + (i === events - 1 ? '\n]' : '\n,\r\n'));
  }
  res.end();
}

const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
