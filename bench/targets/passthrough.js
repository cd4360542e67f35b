/**
 * Target (b): the thinnest useful Node proxy. Bytes in, bytes out through one undici keep-alive Pool:
 * no parsing, no translation. It sets the floor for "a Node process in the middle".
 *   node bench/targets/passthrough.js --upstream http://127.0.0.1:8001 [--port 0]
 * Prints {"url": ...} on stdout when listening.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' } } });
const upstream = new Pool(values.upstream, { keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection']);

function endToEnd(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k)) out[k] = v;
  return out;
}

async function handle(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? Buffer.concat(chunks) : null;
  const up = await upstream.request({ path: req.url, method: req.method, headers: endToEnd(req.headers), body });
  res.on('close', () => up.body.destroy());
  res.writeHead(up.statusCode, endToEnd(up.headers));
  // Each chunk is written as it arrives: a stream is forwarded event by event, never buffered.
  for await (const chunk of up.body) res.write(chunk);
  res.end();
}

const server = createServer((req, res) => void handle(req, res).catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end())));
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
